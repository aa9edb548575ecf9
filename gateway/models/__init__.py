"""Persistence: SQLAlchemy 2.0 typed models. Models know nothing of HTTP."""

from gateway.models.alert import Alert, AlertContact, AlertKind, MailState
from gateway.models.attachment import Attachment
from gateway.models.audit import AuditEntry, AuditHead
from gateway.models.base import Base, utcnow
from gateway.models.booking import Booking, BookingStatus
from gateway.models.breakglass import BreakGlassRelease, ReviewOutcome
from gateway.models.case import (
    AttentionTier,
    Case,
    CaseEntry,
    CaseEntryKind,
    CaseStatus,
    ReportLevel,
)
from gateway.models.client import AuthMethod, Client, RevokedToken, UsedAssertion
from gateway.models.consent import Consent, DataCategory, Grantor, Purpose
from gateway.models.coordinator import Coordinator, CoordinatorRole
from gateway.models.directory import DirectoryEntry, Service
from gateway.models.endpoint import DeliveryEndpoint
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
from gateway.models.referral_event import BusinessStatus, DeclineReason, ReferralEvent
from gateway.models.resource import (
    AudienceDimension,
    Document,
    Resource,
    ResourceAudience,
    ResourceKind,
    ResourceTag,
)
from gateway.models.sla import SlaBreach, SlaKind, SlaPolicy
from gateway.models.slot import Slot, SlotKind, SlotMode
from gateway.models.subject import Subject
from gateway.models.supervisor import Qualification, Supervisor

__all__ = [
    "Alert",
    "AlertContact",
    "AlertKind",
    "Attachment",
    "AttentionTier",
    "AudienceDimension",
    "AuditEntry",
    "AuditHead",
    "AuthMethod",
    "Base",
    "Booking",
    "BookingStatus",
    "BreakGlassRelease",
    "BusinessStatus",
    "Case",
    "CaseEntry",
    "CaseEntryKind",
    "CaseStatus",
    "Client",
    "Consent",
    "Coordinator",
    "CoordinatorRole",
    "DataCategory",
    "DeclineReason",
    "DeliveryEndpoint",
    "DirectoryEntry",
    "Document",
    "EventRegistration",
    "Exchange",
    "Grantor",
    "IdempotencyRecord",
    "Institution",
    "InstitutionKind",
    "MailState",
    "OutboxMessage",
    "OutboxStatus",
    "ParticipantRole",
    "Partnership",
    "PartnershipStatus",
    "Priority",
    "Purpose",
    "Qualification",
    "Referral",
    "ReferralEvent",
    "ReferralReason",
    "ReferralStatus",
    "RegistrationStatus",
    "ReportLevel",
    "Resource",
    "ResourceAudience",
    "ResourceKind",
    "ResourceTag",
    "ReviewOutcome",
    "RevokedToken",
    "Service",
    "SlaBreach",
    "SlaKind",
    "SlaPolicy",
    "Slot",
    "SlotKind",
    "SlotMode",
    "Subject",
    "Supervisor",
    "TrainingEvent",
    "UsedAssertion",
    "utcnow",
]
