"""The partner directory: where a partner may refer (scope ``referrals:read``)."""

from __future__ import annotations

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.network import directory
from schemas.directory import DirectoryListingSchema, DirectoryQuerySchema

blp = Blueprint("directory", __name__, url_prefix="/api/v1/directory",
                description="Institutions a partner may refer to.")


@blp.route("")
class Directory(MethodView):
    """The caller's referral partners."""

    @authenticated("referrals:read")
    @blp.arguments(DirectoryQuerySchema, location="query")
    @blp.response(200, DirectoryListingSchema(many=True))
    def get(self, query: dict):
        """Institutions the caller may refer to now (active partnership for ``referral``):
        kind, services offered, on-call hours and contact, green-channel SLA."""
        return directory.for_partner(db_session(), current_actor(), **query)
