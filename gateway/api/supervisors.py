"""Supervisors: register, list, publish availability, list slots, export the schedule."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from adapters import ical
from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.api.calendar import ICS_RESPONSE, ics
from gateway.db import db_session
from gateway.services.inner import slots, supervisors
from schemas.slots import AvailabilitySchema, SlotQuerySchema, SlotSchema
from schemas.supervisors import SupervisorCreateSchema, SupervisorSchema

blp = Blueprint("supervisors", __name__, url_prefix="/api/v1/supervisors",
                description="Supervisors (督导) and their availability (inner circulation).")


@blp.route("")
class Supervisors(MethodView):
    """Register and list supervisors."""

    @authenticated("bookings:write")
    @blp.arguments(SupervisorCreateSchema)
    @blp.response(201, SupervisorSchema)
    def post(self, body: dict):
        """Register a supervisor of the calling institution."""
        return supervisors.register(db_session(), current_actor(), **body)

    @authenticated("bookings:read")
    @blp.response(200, SupervisorSchema(many=True))
    def get(self):
        """Supervisors of the calling institution and of its supervision partners."""
        return supervisors.list_visible(db_session(), current_actor())


@blp.route("/<uuid:supervisor_id>")
class SupervisorItem(MethodView):
    """One supervisor."""

    @authenticated("bookings:read")
    @blp.response(200, SupervisorSchema)
    def get(self, supervisor_id: uuid.UUID):
        """Read a supervisor."""
        return supervisors.get_visible(db_session(), current_actor(), supervisor_id)


@blp.route("/<uuid:supervisor_id>/availability")
class Availability(MethodView):
    """Publish slots."""

    @authenticated("bookings:write")
    @blp.arguments(AvailabilitySchema)
    @blp.response(201, SlotSchema(many=True))
    def post(self, body: dict, supervisor_id: uuid.UUID):
        """Publish one-off or recurring (RRULE) slots; 409 if one overlaps an open slot."""
        published = slots.publish(db_session(), current_actor(), supervisor_id,
                                  slots.Availability(**body))
        return [slots.Offered(slot, 0) for slot in published]


@blp.route("/<uuid:supervisor_id>/slots")
class SupervisorSlots(MethodView):
    """The open slots of a supervisor."""

    @authenticated("bookings:read")
    @blp.arguments(SlotQuerySchema, location="query")
    @blp.response(200, SlotSchema(many=True))
    def get(self, query: dict, supervisor_id: uuid.UUID):
        """Open slots by start, optionally within ``[from, until)``."""
        return slots.list_for(db_session(), current_actor(), supervisor_id, **query)


@blp.route("/<uuid:supervisor_id>/calendar.ics")
class SupervisorCalendar(MethodView):
    """The schedule as iCalendar."""

    @authenticated("bookings:read")
    @blp.response(200, **ICS_RESPONSE)
    def get(self, supervisor_id: uuid.UUID):
        """The supervisor's open slots as an RFC 5545 calendar."""
        offered = slots.list_for(db_session(), current_actor(), supervisor_id)
        body = ical.schedule_calendar([item.slot for item in offered],
                                      current_app.config["ISSUER"])
        return ics(body, f"supervisor-{supervisor_id}")
