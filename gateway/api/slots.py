"""Slots: read one, with its free seats."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.inner import slots
from schemas.slots import SlotSchema

blp = Blueprint("slots", __name__, url_prefix="/api/v1/slots",
                description="Supervision and case-conference slots.")


@blp.route("/<uuid:slot_id>")
class SlotItem(MethodView):
    """One slot."""

    @authenticated("bookings:read")
    @blp.response(200, SlotSchema)
    def get(self, slot_id: uuid.UUID):
        """Read a slot of a visible supervisor, with the seats taken."""
        return slots.offered(db_session(), current_actor(), slot_id)


@blp.route("/<uuid:slot_id>/cancel")
class SlotCancellation(MethodView):
    """Withdraw a slot."""

    @authenticated("bookings:write")
    @blp.response(200, SlotSchema)
    def post(self, slot_id: uuid.UUID):
        """The supervisor's institution withdraws a slot; its bookings are cancelled."""
        return slots.cancel(db_session(), current_actor(), slot_id)
