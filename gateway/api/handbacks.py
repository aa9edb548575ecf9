"""Hand-back after hospital care, sent by the hospital on the referral it took."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.cases import handback
from schemas.handbacks import HandBackCreateSchema, HandBackReceiptSchema

blp = Blueprint("handbacks", __name__, url_prefix="/api/v1/referrals",
                description="Hand-back after hospital care: discharge advice and follow-up plan.")


@blp.route("/<uuid:referral_id>/hand-back")
class ReferralHandBack(MethodView):
    """The recipient hands the student back to the school's case."""

    @authenticated("referrals:write")
    @blp.arguments(HandBackCreateSchema)
    @blp.response(201, HandBackReceiptSchema)
    def post(self, body: dict, referral_id: uuid.UUID):
        """Send the hand-back: discharge advice, follow-ups, return to school advised and when."""
        return handback.send(db_session(), current_actor(), referral_id,
                             handback.NewHandBack(**body))
