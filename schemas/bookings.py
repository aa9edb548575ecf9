"""Booking and hours wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import BookingStatus
from schemas.common import PERSONAL, SUBJECT_REF, InputSchema, PageQuerySchema
from schemas.text import local_ref, moment, text

COUNSELLOR_REF = "The institution's own staff reference for the counsellor."


class CaseMaterialSchema(InputSchema):
    """Case material for a case conference."""

    summary = text(1, 4000, required=True, metadata={
        "description": "Written de-identified. It travels identified (with the subject's pair "
                       "pseudonym) only if a case_conference consent covers the host."})
    subject_ref = local_ref(SUBJECT_REF.metadata["description"])


class BookingCreateSchema(InputSchema):
    """A counsellor of the calling institution asks for a seat."""

    slot_id = fields.UUID(required=True)
    counsellor_ref = local_ref(COUNSELLOR_REF, required=True)
    join_waitlist = fields.Boolean(load_default=False, metadata={
        "description": "When the slot is full: wait for a seat instead of a 409."})
    case = fields.Nested(CaseMaterialSchema)
    campus_id = fields.UUID(metadata={"description": "The booking counsellor's campus."})


class BookingDecisionSchema(InputSchema):
    """The supervisor's institution confirms or declines."""

    status = fields.Enum(BookingStatus, by_value=True, required=True, validate=validate.OneOf(
        [BookingStatus.CONFIRMED, BookingStatus.DECLINED]))
    reason_code = text(1, 64)


class AttendanceSchema(InputSchema):
    """Whether the counsellor came."""

    status = fields.Enum(BookingStatus, by_value=True, required=True, validate=validate.OneOf(
        [BookingStatus.ATTENDED, BookingStatus.NO_SHOW]))


class BookingListQuerySchema(PageQuerySchema):
    """Bookings the caller made (booker) or received for its slots (host)."""

    role = fields.String(load_default="booker", validate=validate.OneOf(["booker", "host"]))
    status = fields.Enum(BookingStatus, by_value=True)


class BookingCaseSchema(Schema):
    """Case material as booker and host may see it now (decided at each read)."""

    summary = fields.String(metadata={
        **PERSONAL, "description": "As given while identified; otherwise with identifiers of a "
                                   "known shape masked."})
    identified = fields.Boolean(metadata={
        "description": "Whether a case_conference consent covering the host is in force now."})
    subject_pseudonym = fields.String(allow_none=True, metadata={
        **PERSONAL, "description": "How the host knows the student; only while identified."})
    consent_id = fields.UUID(allow_none=True)


class BookingSchema(Schema):
    """A booking as its booker and host see it (a view built by the bookings service)."""

    id = fields.UUID()
    slot_id = fields.UUID()
    institution_id = fields.UUID(metadata={"description": "The booking institution."})
    counsellor_ref = fields.String()
    status = fields.Enum(BookingStatus, by_value=True)
    seat = fields.Integer(allow_none=True)
    case = fields.Nested(BookingCaseSchema, allow_none=True)
    decline_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class BookingPageSchema(Schema):
    """A page of bookings."""

    items = fields.List(fields.Nested(BookingSchema))
    next_cursor = fields.String(allow_none=True)


class HoursQuerySchema(InputSchema):
    """A reporting period ``[from, until)``."""

    start = moment(data_key="from", required=True)
    end = moment(data_key="until", required=True)


class PersonHoursSchema(Schema):
    """Hours of one person."""

    ref = fields.String()
    role = fields.String(allow_none=True)
    hours = fields.Float()
    sessions = fields.Integer()


class HoursReportSchema(Schema):
    """Hours of the calling institution's people in a period."""

    institution_id = fields.UUID()
    start = fields.DateTime(data_key="from")
    end = fields.DateTime(data_key="until")
    total_hours = fields.Float()
    people = fields.List(fields.Nested(PersonHoursSchema))
