"""FHIR query parameters (the resources themselves are ``fhir.resources`` models)."""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError, fields, validate

from adapters.fhir_directory import KIND_SYSTEM, SERVICE_SYSTEM
from gateway.models import InstitutionKind, Service
from schemas.common import InputSchema

TASK_STATUSES = ("draft", "requested", "received", "accepted", "in-progress", "completed",
                 "rejected", "cancelled", "failed")
TASK_PRIORITIES = ("routine", "urgent", "stat")
# ``_sort`` value -> the box order (gateway.services.referrals.triage.SORTS) it names
TASK_SORTS = {"_lastUpdated": "last_updated", "-_lastUpdated": "-last_updated",
              "deadline": "deadline"}
DIRECTORY_INCLUDES = ("HealthcareService:endpoint", "HealthcareService:organization")
FORMATS = ("json", "application/json", "application/fhir+json")
LAST_UPDATED = (r"^(gt|ge|lt|le)\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])"
                r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|[+-](0\d|1[0-3]):[0-5]\d)$")
REFERENCE = validate.Regexp(r"^(Organization/)?[0-9a-fA-F-]{36}$",
                            error="must be Organization/{{id}}")


class LastUpdated(fields.Field):
    """``_lastUpdated=gt2026-12-01T08:00:00Z``: a comparison prefix and a moment with a zone."""

    PREFIXES = ("gt", "ge", "lt", "le")

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, datetime]:
        text = value if isinstance(value, str) else ""
        prefix = text[:2]
        if prefix not in self.PREFIXES:
            raise ValidationError("must start with gt, ge, lt or le")
        moment = fields.AwareDateTime().deserialize(text[2:].replace("Z", "+00:00"))
        return prefix, moment


class TaskSearchSchema(InputSchema):
    """``GET Task?…``: the worklist of the caller's institution."""

    status = fields.String(validate=validate.OneOf(TASK_STATUSES))
    priority = fields.String(validate=validate.OneOf(TASK_PRIORITIES))
    owner = fields.String(validate=REFERENCE)
    requester = fields.String(validate=REFERENCE)
    count = fields.Integer(data_key="_count", load_default=20, validate=validate.Range(1, 100))
    cursor = fields.String(data_key="_cursor", validate=validate.Length(max=200))
    include = fields.String(data_key="_include", validate=validate.OneOf(["Task:focus"]))
    sort = fields.String(data_key="_sort", validate=validate.OneOf(list(TASK_SORTS)))
    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS))
    last_updated = LastUpdated(data_key="_lastUpdated", metadata={
        "type": "string", "pattern": LAST_UPDATED,
        "description": "A comparison prefix and a moment with a zone: gt2026-12-01T08:00:00Z"})


class Token(fields.Field):
    """A FHIR token ``code`` or ``system|code`` in one code system; the code as ``enum``."""

    def __init__(self, system: str, enum: type, **kwargs) -> None:
        super().__init__(**kwargs)
        self.system, self.enum = system, enum

    def _deserialize(self, value, attr, data, **kwargs):
        text = value if isinstance(value, str) else ""
        system, _, code = text.rpartition("|")
        if system and system != self.system:
            raise ValidationError(f"must be a code of {self.system}")
        try:
            return self.enum(code)
        except ValueError:
            raise ValidationError("is not a known code") from None


class HealthcareServiceSearchSchema(InputSchema):
    """``GET HealthcareService?…``: the partners the caller may refer to now."""

    organization = fields.String(validate=REFERENCE)
    service_type = Token(SERVICE_SYSTEM, Service, data_key="service-type")
    service_category = Token(KIND_SYSTEM, InstitutionKind, data_key="service-category")
    include = fields.List(fields.String(validate=validate.OneOf(DIRECTORY_INCLUDES)),
                          data_key="_include")
    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS))


class EndpointSearchSchema(InputSchema):
    """``GET Endpoint?…``: how the caller reaches its referral partners (the gateway)."""

    organization = fields.String(validate=REFERENCE)
    format = fields.String(data_key="_format", validate=validate.OneOf(FORMATS))
