"""Bookings: book, list, read, cancel, confirm or decline, attendance, calendar, hours."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from adapters import ical
from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.api.calendar import ICS_RESPONSE, ics
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.privacy import current_policy
from gateway.services.inner import bookings, hours
from schemas.bookings import (
    AttendanceSchema,
    BookingCreateSchema,
    BookingDecisionSchema,
    BookingListQuerySchema,
    BookingPageSchema,
    BookingSchema,
    HoursQuerySchema,
    HoursReportSchema,
)

blp = Blueprint("bookings", __name__, url_prefix="/api/v1/bookings",
                description="Supervision and case-conference bookings by partner counsellors.")


@blp.route("")
class Bookings(MethodView):
    """Book and list."""

    @authenticated("bookings:write")
    @blp.arguments(BookingCreateSchema)
    @blp.response(201, BookingSchema)
    def post(self, body: dict):
        """Book a seat (or a waitlist place with join_waitlist); 409 when the slot is full."""
        case = body.pop("case", None)
        request = bookings.BookingRequest(
            case=bookings.CaseMaterial(**case) if case else None, **body)
        booking = bookings.book(db_session(), current_actor(), current_keyring().pseudonyms,
                                request, policy=current_policy())
        return booking, 201, {"Location": f"/api/v1/bookings/{booking['id']}"}

    @authenticated("bookings:read")
    @blp.arguments(BookingListQuerySchema, location="query")
    @blp.response(200, BookingPageSchema)
    def get(self, query: dict):
        """Bookings made by the caller (booker) or for its slots (host), newest first."""
        return bookings.list_page(db_session(), current_actor(), policy=current_policy(),
                                  **query)


@blp.route("/hours")
class SupervisionHours(MethodView):
    """Supervision hours of the calling institution's counsellors."""

    @authenticated("bookings:read")
    @blp.arguments(HoursQuerySchema, location="query")
    @blp.response(200, HoursReportSchema)
    def get(self, query: dict):
        """Hours attended per counsellor in slots starting in ``[from, until)``."""
        return hours.supervision(db_session(), current_actor(), **query)


@blp.route("/<uuid:booking_id>")
class BookingItem(MethodView):
    """One booking, visible to its booker and host."""

    @authenticated("bookings:read")
    @blp.response(200, BookingSchema)
    def get(self, booking_id: uuid.UUID):
        """Read a booking; case material is identified only while consent covers the host."""
        return bookings.read(db_session(), current_actor(), booking_id,
                             policy=current_policy())


@blp.route("/<uuid:booking_id>/cancel")
class BookingCancellation(MethodView):
    """Cancel a booking."""

    @authenticated("bookings:write")
    @blp.response(200, BookingSchema)
    def post(self, booking_id: uuid.UUID):
        """Cancel (booker only); 409 after the slot's cut-off. The next on the waitlist moves up."""
        return bookings.cancel(db_session(), current_actor(), booking_id,
                               policy=current_policy())


@blp.route("/<uuid:booking_id>/decision")
class BookingDecision(MethodView):
    """Confirm or decline."""

    @authenticated("bookings:write")
    @blp.arguments(BookingDecisionSchema)
    @blp.response(200, BookingSchema)
    def post(self, body: dict, booking_id: uuid.UUID):
        """The supervisor's institution confirms (a reminder is queued) or declines."""
        return bookings.decide(db_session(), current_actor(), booking_id,
                               policy=current_policy(), **body)


@blp.route("/<uuid:booking_id>/attendance")
class BookingAttendance(MethodView):
    """Attendance or no-show."""

    @authenticated("bookings:write")
    @blp.arguments(AttendanceSchema)
    @blp.response(200, BookingSchema)
    def post(self, body: dict, booking_id: uuid.UUID):
        """The supervisor's institution records attendance once the slot has begun."""
        return bookings.record_attendance(db_session(), current_actor(), booking_id,
                                          body["status"], policy=current_policy())


@blp.route("/<uuid:booking_id>/calendar.ics")
class BookingCalendar(MethodView):
    """A booking as iCalendar."""

    @authenticated("bookings:read")
    @blp.response(200, **ICS_RESPONSE)
    def get(self, booking_id: uuid.UUID):
        """The booking as an RFC 5545 event with a reminder."""
        booking, slot = bookings.get_visible(db_session(), current_actor(), booking_id)
        return ics(ical.booking_calendar(booking, slot, current_app.config["ISSUER"]),
                   f"booking-{booking.id}")
