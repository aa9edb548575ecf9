"""Persistence: SQLAlchemy 2.0 typed models. Models know nothing of HTTP."""

from gateway.models.audit import AuditEntry, AuditHead
from gateway.models.base import Base, utcnow
from gateway.models.breakglass import BreakGlassRelease, ReviewOutcome
from gateway.models.client import AuthMethod, Client, RevokedToken, UsedAssertion
from gateway.models.consent import Consent, DataCategory, Grantor, Purpose
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
from gateway.models.subject import Subject

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuthMethod",
    "Base",
    "BreakGlassRelease",
    "Client",
    "Consent",
    "DataCategory",
    "Exchange",
    "Grantor",
    "IdempotencyRecord",
    "Institution",
    "InstitutionKind",
    "OutboxMessage",
    "OutboxStatus",
    "Partnership",
    "PartnershipStatus",
    "Priority",
    "Purpose",
    "Referral",
    "ReferralReason",
    "ReferralStatus",
    "ReviewOutcome",
    "RevokedToken",
    "Subject",
    "UsedAssertion",
    "utcnow",
]
