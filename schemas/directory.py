"""Partner directory wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import InstitutionKind, Service
from schemas.common import InputSchema


class DirectoryEntrySetSchema(InputSchema):
    """What an institution offers and when its on-call line is staffed."""

    services = fields.List(fields.Enum(Service, by_value=True), required=True,
                           validate=validate.Length(max=len(Service)))
    on_call_hours = fields.String(allow_none=True, load_default=None,
                                  validate=validate.Length(1, 100),
                                  metadata={"description": "e.g. '24/7' or 'Mon-Fri 08:00-22:00'"})


class DirectoryEntrySchema(Schema):
    """An institution's directory entry."""

    institution_id = fields.UUID()
    services = fields.List(fields.String())
    on_call_hours = fields.String(allow_none=True)
    updated_at = fields.DateTime()


class DirectoryQuerySchema(InputSchema):
    """Narrow the directory."""

    kind = fields.Enum(InstitutionKind, by_value=True)
    service = fields.Enum(Service, by_value=True)


class SlaSchema(Schema):
    """A recipient's green-channel promise, in minutes."""

    receipt_minutes = fields.Integer()
    decision_minutes = fields.Integer()


class DirectoryListingSchema(Schema):
    """An institution the caller may refer to."""

    institution_id = fields.UUID(attribute="institution.id")
    name = fields.String(attribute="institution.name")
    kind = fields.Enum(InstitutionKind, by_value=True, attribute="institution.kind")
    region = fields.String(attribute="institution.region")
    partnership_ids = fields.List(fields.UUID(), metadata={
        "description": "Active partnerships that allow the referral exchange."})
    services = fields.List(fields.String())
    on_call_hours = fields.String(allow_none=True)
    on_call_contact = fields.String(allow_none=True, attribute="sla.on_call_contact")
    sla = fields.Nested(SlaSchema)
