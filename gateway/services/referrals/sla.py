"""Green-channel service levels: per-recipient policy, deadlines and recorded breaches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Priority, Referral, SlaBreach, SlaKind, SlaPolicy
from gateway.models.sla import DEFAULT_DECISION_MINUTES, DEFAULT_RECEIPT_MINUTES
from gateway.services.actor import Actor
from gateway.services.audit import journal

# Without receipt a referral expires after this long (the sender is told and may re-refer).
EXPIRY = {
    Priority.ROUTINE: timedelta(days=14),
    Priority.URGENT: timedelta(days=3),
    Priority.GREEN_CHANNEL: timedelta(days=1),
}


@dataclass(frozen=True)
class Deadlines:
    """When a submitted referral must be received and decided, and when it expires."""

    receipt_due_at: datetime | None
    decision_due_at: datetime | None
    expires_at: datetime


def policy_for(session: Session, institution_id: uuid.UUID) -> SlaPolicy:
    """The recipient's policy, or the defaults (15 min to receipt, 2 h to decision)."""
    with session.no_autoflush:  # pending rows (a referral being created) do not change it
        stored = session.get(SlaPolicy, institution_id)
    return stored or SlaPolicy(
        institution_id=institution_id, receipt_minutes=DEFAULT_RECEIPT_MINUTES,
        decision_minutes=DEFAULT_DECISION_MINUTES)


def set_policy(session: Session, actor: Actor, institution_id: uuid.UUID, *,
               receipt_minutes: int, decision_minutes: int,
               on_call_contact: str | None) -> SlaPolicy:
    """Create or replace a recipient's green-channel policy and on-call contact."""
    policy = session.get(SlaPolicy, institution_id) or SlaPolicy(institution_id=institution_id)
    policy.receipt_minutes, policy.decision_minutes = receipt_minutes, decision_minutes
    policy.on_call_contact = on_call_contact
    session.add(policy)
    session.flush()
    journal.record(session, actor, "sla.policy_set", "institution", institution_id,
                   detail={"receipt_minutes": receipt_minutes,
                           "decision_minutes": decision_minutes})
    return policy


def deadlines(session: Session, referral: Referral, submitted_at: datetime) -> Deadlines:
    """Deadlines of a referral submitted at ``submitted_at``; SLAs bind the green channel only."""
    expires_at = submitted_at + EXPIRY[referral.priority]
    if referral.priority is not Priority.GREEN_CHANNEL:
        return Deadlines(None, None, expires_at)
    policy = policy_for(session, referral.recipient_id)
    return Deadlines(submitted_at + timedelta(minutes=policy.receipt_minutes),
                     submitted_at + timedelta(minutes=policy.decision_minutes), expires_at)


def record_breach(session: Session, referral: Referral, kind: SlaKind,
                  now: datetime) -> SlaBreach | None:
    """Record a breach once; None when another scheduler already recorded it."""
    due = referral.receipt_due_at if kind is SlaKind.RECEIPT else referral.decision_due_at
    breach = SlaBreach(referral_id=referral.id, kind=kind, due_at=due, detected_at=now)
    try:
        with session.begin_nested():
            session.add(breach)
    except IntegrityError:
        return None
    return breach
