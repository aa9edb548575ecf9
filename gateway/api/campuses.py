"""The calling institution's campuses, with where each campus's green channel goes."""

from __future__ import annotations

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.network import campuses
from schemas.campuses import CampusListSchema

blp = Blueprint("campuses", __name__, url_prefix="/api/v1/campuses",
                description="The calling institution's campuses.")


@blp.route("")
class OwnCampuses(MethodView):
    """Campuses of the caller's institution."""

    @authenticated("referrals:read")
    @blp.response(200, CampusListSchema)
    def get(self):
        """List the caller's campuses and their default green-channel recipients."""
        return {"items": campuses.of_institution(db_session(), current_actor().institution_id)}
