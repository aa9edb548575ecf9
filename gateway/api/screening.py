"""Screening rounds: counts only; a positive screen opens or updates the student's case."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.case_rules import current_case_rules
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.services.cases import screening
from gateway.services.privacy import subjects
from schemas.screening import (
    PositiveScreenCreateSchema,
    PositiveScreenSchema,
    ScreeningRoundCreateSchema,
    ScreeningRoundListSchema,
    ScreeningRoundSchema,
)

blp = Blueprint("screening", __name__, url_prefix="/api/v1/screening-rounds",
                description="Screening rounds with an approved instrument (counts only).")


@blp.route("")
class ScreeningRounds(MethodView):
    """The school's screening rounds."""

    @authenticated("cases:read")
    @blp.response(200, ScreeningRoundListSchema)
    def get(self):
        """List the rounds, latest first."""
        return {"items": screening.list_rounds(db_session(), current_actor())}

    @authenticated("cases:write")
    @blp.arguments(ScreeningRoundCreateSchema)
    @blp.response(201, ScreeningRoundSchema)
    def post(self, body: dict):
        """Record a round; the instrument must be one the region approves."""
        return screening.record_round(db_session(), current_actor(),
                                      campus_id=body.pop("campus_id", None),
                                      rules=current_case_rules(), **body)


@blp.route("/<uuid:round_id>/positives")
class PositiveScreens(MethodView):
    """Students who screened positive."""

    @authenticated("cases:write")
    @blp.arguments(PositiveScreenCreateSchema)
    @blp.response(201, PositiveScreenSchema)
    def post(self, body: dict, round_id: uuid.UUID):
        """Record a positive screen on the student's open case, or open one."""
        actor = current_actor()
        key = subjects.subject_key(current_keyring().pseudonyms, actor.institution_id,
                                   body.pop("subject_ref"))
        return screening.record_positive(db_session(), actor, round_id, subject_key=key,
                                         rules=current_case_rules(), **body)
