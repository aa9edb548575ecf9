"""Persistence: SQLAlchemy 2.0 typed models. Models know nothing of HTTP."""

from gateway.models.alert import Alert, AlertContact, AlertKind, MailState
from gateway.models.attachment import Attachment
from gateway.models.audit import (
    AuditCheckpoint,
    AuditCosignature,
    AuditEntry,
    AuditLeaf,
    AuditNode,
    AuditPending,
    AuditWitness,
)
from gateway.models.base import Base, utcnow
from gateway.models.booking import Booking, BookingStatus
from gateway.models.breakglass import BreakGlassRelease, ReviewOutcome
from gateway.models.campus import Campus
from gateway.models.case import (
    CLOSURE_REASONS,
    RETURN_OUTCOMES,
    TIER_REASONS,
    AttentionTier,
    Case,
    CaseEntry,
    CaseEntryKind,
    CaseStatus,
    ReportLevel,
)
from gateway.models.client import (
    AuthMethod,
    Client,
    RevokedToken,
    UsedAssertion,
    UsedDpopProof,
)
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
from gateway.models.handback import HandBack, PlannedFollowUp
from gateway.models.handover import Handover
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
from gateway.models.screening import ScreeningRound
from gateway.models.sla import SlaBreach, SlaKind, SlaPolicy
from gateway.models.slot import Slot, SlotKind, SlotMode
from gateway.models.subject import Subject
from gateway.models.supervisor import Qualification, Supervisor

__all__ = [
    "CLOSURE_REASONS",
    "RETURN_OUTCOMES",
    "TIER_REASONS",
    "Alert",
    "AlertContact",
    "AlertKind",
    "Attachment",
    "AttentionTier",
    "AudienceDimension",
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEntry",
    "AuditLeaf",
    "AuditNode",
    "AuditPending",
    "AuditWitness",
    "AuthMethod",
    "Base",
    "Booking",
    "BookingStatus",
    "BreakGlassRelease",
    "BusinessStatus",
    "Campus",
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
    "HandBack",
    "Handover",
    "IdempotencyRecord",
    "Institution",
    "InstitutionKind",
    "MailState",
    "OutboxMessage",
    "OutboxStatus",
    "ParticipantRole",
    "Partnership",
    "PartnershipStatus",
    "PlannedFollowUp",
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
    "ScreeningRound",
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
    "UsedDpopProof",
    "utcnow",
]
