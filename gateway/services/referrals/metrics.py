"""Referral metrics: how long each milestone took after submission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.services.actor import Actor
from gateway.services.referrals import access


@dataclass(frozen=True)
class ReferralMetrics:
    """Seconds from submission to receipt, decision, first appointment and completion."""

    referral_id: uuid.UUID
    submitted_at: datetime | None
    time_to_receipt: float | None
    time_to_decision: float | None
    time_to_first_appointment: float | None
    time_to_completion: float | None
    receipt_due_at: datetime | None
    decision_due_at: datetime | None


def _since(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def for_referral(session: Session, actor: Actor, referral_id: uuid.UUID) -> ReferralMetrics:
    """The metrics of a referral the actor sent or received."""
    r = access.get_visible(session, actor, referral_id)
    return ReferralMetrics(r.id, r.submitted_at, _since(r.submitted_at, r.received_at),
                           _since(r.submitted_at, r.decided_at),
                           _since(r.submitted_at, r.first_appointment_at),
                           _since(r.submitted_at, r.completed_at),
                           r.receipt_due_at, r.decision_due_at)
