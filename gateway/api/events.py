"""Training events: registration, attendance, training hours."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.services.inner import events, hours
from schemas.bookings import HoursQuerySchema, HoursReportSchema
from schemas.events import EventAttendanceSchema, RegistrationCreateSchema, RegistrationSchema

blp = Blueprint("events", __name__, url_prefix="/api/v1/events",
                description="Registration and attendance for training events (e.g. 5·25).")


@blp.route("/hours")
class TrainingHours(MethodView):
    """Training hours of the calling institution's people."""

    @authenticated("resources:read")
    @blp.arguments(HoursQuerySchema, location="query")
    @blp.response(200, HoursReportSchema)
    def get(self, query: dict):
        """Hours attended per person at events starting in ``[from, until)``."""
        return hours.training(db_session(), current_actor(), **query)


@blp.route("/<uuid:event_id>/registrations")
class Registrations(MethodView):
    """Register and list registrations."""

    @authenticated("resources:write")
    @blp.arguments(RegistrationCreateSchema)
    @blp.response(201, RegistrationSchema)
    def post(self, body: dict, event_id: uuid.UUID):
        """Register a person of the calling institution; 409 when the event is full."""
        return events.register(db_session(), current_actor(), current_keyring().pseudonyms,
                               event_id, **body)

    @authenticated("resources:read")
    @blp.response(200, RegistrationSchema(many=True))
    def get(self, event_id: uuid.UUID):
        """All registrations (organiser) or the caller's own."""
        return events.list_registrations(db_session(), current_actor(), event_id)


@blp.route("/<uuid:event_id>/registrations/<uuid:registration_id>/cancel")
class RegistrationCancellation(MethodView):
    """Withdraw a registration."""

    @authenticated("resources:write")
    @blp.response(200, RegistrationSchema)
    def post(self, event_id: uuid.UUID, registration_id: uuid.UUID):
        """The registering institution cancels before the event starts."""
        return events.cancel(db_session(), current_actor(), event_id, registration_id)


@blp.route("/<uuid:event_id>/registrations/<uuid:registration_id>/attendance")
class RegistrationAttendance(MethodView):
    """Record attendance."""

    @authenticated("resources:write")
    @blp.arguments(EventAttendanceSchema)
    @blp.response(200, RegistrationSchema)
    def post(self, body: dict, event_id: uuid.UUID, registration_id: uuid.UUID):
        """The organiser records whether the person came, once the event has begun."""
        return events.record_attendance(db_session(), current_actor(), event_id,
                                        registration_id, body["attended"])
