"""Handovers received from the previous school; opening the school's own linked case."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.api.cases import new_case
from gateway.case_rules import current_case_rules
from gateway.db import db_session
from gateway.privacy import current_policy
from gateway.services.cases import handover
from schemas.cases import CaseCreateSchema, CaseSchema
from schemas.handovers import HandoverListSchema, HandoverSchema

blp = Blueprint("handovers", __name__, url_prefix="/api/v1/handovers",
                description="Case summaries handed over by the previous school.")


@blp.route("")
class Handovers(MethodView):
    """Handovers sent to the calling school."""

    @authenticated("cases:read")
    @blp.response(200, HandoverListSchema)
    def get(self):
        """Handovers received, newest first."""
        return {"items": handover.inbox(db_session(), current_actor())}


@blp.route("/<uuid:handover_id>")
class HandoverItem(MethodView):
    """One handover."""

    @authenticated("cases:read")
    @blp.response(200, HandoverSchema)
    def get(self, handover_id: uuid.UUID):
        """Read the summary: only the categories the handover consent names now."""
        return handover.read(db_session(), current_actor(), handover_id,
                             policy=current_policy())


@blp.route("/<uuid:handover_id>/case")
class HandoverCase(MethodView):
    """The receiving school's own case, linked to the handover."""

    @authenticated("cases:write")
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema)
    def post(self, body: dict, handover_id: uuid.UUID):
        """Open the school's own case for the handed-over student (once per handover)."""
        return handover.open_linked_case(db_session(), current_actor(), handover_id,
                                         new_case(body), rules=current_case_rules())
