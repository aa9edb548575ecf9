"""Event registration wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields

from gateway.models import ParticipantRole, RegistrationStatus
from schemas.common import InputSchema
from schemas.text import local_ref


class RegistrationCreateSchema(InputSchema):
    """A person of the calling institution registers."""

    participant_ref = local_ref("The institution's own reference for the person.",
                                required=True)
    role = fields.Enum(ParticipantRole, by_value=True, required=True)


class EventAttendanceSchema(InputSchema):
    """Whether the person came."""

    attended = fields.Boolean(required=True)


class RegistrationSchema(Schema):
    """A registration as the organiser and the registering institution see it."""

    id = fields.UUID()
    event_id = fields.UUID()
    institution_id = fields.UUID()
    participant_ref = fields.String()
    role = fields.Enum(ParticipantRole, by_value=True)
    status = fields.Enum(RegistrationStatus, by_value=True)
    created_at = fields.DateTime()
