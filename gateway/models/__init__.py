"""Persistence: SQLAlchemy 2.0 typed models. Models know nothing of HTTP."""

from gateway.models.audit import AuditEntry, AuditHead
from gateway.models.base import Base, utcnow
from gateway.models.booking import Booking, BookingStatus
from gateway.models.breakglass import BreakGlassRelease, ReviewOutcome
from gateway.models.client import AuthMethod, Client, RevokedToken, UsedAssertion
from gateway.models.consent import Consent, DataCategory, Grantor, Purpose
from gateway.models.coordinator import Coordinator, CoordinatorRole
from gateway.models.event import (
    EventRegistration,
    ParticipantRole,
    RegistrationStatus,
    TrainingEvent,
)
from gateway.models.institution import Institution, InstitutionKind
from gateway.models.outbox import OutboxMessage, OutboxStatus
from gateway.models.partnership import Exchange, Partnership, PartnershipStatus
from gateway.models.referral import (
    IdempotencyRecord,
    Priority,
    Referral,
    ReferralReason,
    ReferralStatus,
)
from gateway.models.resource import (
    AudienceDimension,
    Document,
    Resource,
    ResourceAudience,
    ResourceKind,
    ResourceTag,
)
from gateway.models.slot import Slot, SlotKind, SlotMode
from gateway.models.subject import Subject
from gateway.models.supervisor import Qualification, Supervisor

__all__ = [
    "AudienceDimension",
    "AuditEntry",
    "AuditHead",
    "AuthMethod",
    "Base",
    "Booking",
    "BookingStatus",
    "BreakGlassRelease",
    "Client",
    "Consent",
    "Coordinator",
    "CoordinatorRole",
    "DataCategory",
    "Document",
    "EventRegistration",
    "Exchange",
    "Grantor",
    "IdempotencyRecord",
    "Institution",
    "InstitutionKind",
    "OutboxMessage",
    "OutboxStatus",
    "ParticipantRole",
    "Partnership",
    "PartnershipStatus",
    "Priority",
    "Purpose",
    "Qualification",
    "Referral",
    "ReferralReason",
    "ReferralStatus",
    "RegistrationStatus",
    "Resource",
    "ResourceAudience",
    "ResourceKind",
    "ResourceTag",
    "ReviewOutcome",
    "RevokedToken",
    "Slot",
    "SlotKind",
    "SlotMode",
    "Subject",
    "Supervisor",
    "TrainingEvent",
    "UsedAssertion",
    "utcnow",
]
