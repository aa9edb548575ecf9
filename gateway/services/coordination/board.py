"""The referral board: counts by status, the green-channel queue and time to decision.

Only pseudonyms, institution names and numbers leave this module: no personal data.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import Priority, Referral, ReferralStatus, utcnow

# upper bounds in minutes of the time-to-decision histogram; the last bin is open
DECISION_BINS = (15, 60, 120, 480, 1440)
# green-channel statuses that wait for the recipient: to be received, then decided
WAITING = {ReferralStatus.SUBMITTED: "receipt", ReferralStatus.RECEIVED: "decision"}


@dataclass(frozen=True)
class QueueItem:
    """A green-channel referral still waiting for the recipient, against its SLA deadline."""

    referral_id: uuid.UUID
    pseudonym: str
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    submitted_at: datetime
    stage: str
    due_at: datetime
    now: datetime

    @property
    def waiting_minutes(self) -> int:
        """Minutes since submission."""
        return int((self.now - self.submitted_at).total_seconds() // 60)

    @property
    def minutes_left(self) -> int:
        """Minutes until the deadline of the current stage; negative once it is breached."""
        return math.floor((self.due_at - self.now).total_seconds() / 60)


@dataclass(frozen=True)
class Board:
    """What the board shows."""

    counts: dict[str, int]
    green_channel: list[QueueItem]
    decision_minutes: list[int]
    overdue: list[QueueItem]

    @property
    def breaches(self) -> int:
        """Green-channel referrals waiting past the deadline of their current stage."""
        return sum(1 for item in self.green_channel if item.minutes_left < 0)

    def histogram(self) -> list[dict]:
        """Decisions per bin: ``[{"upto": 15, "count": n}, ..., {"upto": None, ...}]``."""
        bins = [*DECISION_BINS, None]
        counts = Counter(next(b for b in bins if b is None or minutes <= b)
                         for minutes in self.decision_minutes)
        return [{"upto": b, "count": counts.get(b, 0)} for b in bins]


def summary(session: Session, institution_ids: list[uuid.UUID] | None) -> Board:
    """The board over referrals sent or received by ``institution_ids`` (None: all)."""
    query = select(Referral)
    if institution_ids is not None:
        query = query.where(or_(Referral.sender_id.in_(institution_ids),
                                Referral.recipient_id.in_(institution_ids)))
    referrals = list(session.scalars(query.order_by(Referral.created_at)))
    now = utcnow()
    counts = Counter(r.status.value for r in referrals)
    queue, overdue = [], []
    for r in referrals:
        stage = WAITING.get(r.status)
        if not stage or not r.submitted_at:
            continue
        due = r.receipt_due_at if stage == "receipt" else r.decision_due_at
        if r.priority is Priority.GREEN_CHANNEL and due:
            queue.append(QueueItem(r.id, r.recipient_pseudonym, r.sender_id, r.recipient_id,
                                   r.submitted_at, stage, due, now))
        deadline = due if due and due <= now else r.expires_at
        if deadline and deadline <= now:  # past its SLA stage, or past its expiry undecided
            overdue.append(QueueItem(r.id, r.recipient_pseudonym, r.sender_id, r.recipient_id,
                                     r.submitted_at, stage, deadline, now))
    minutes = [int((r.decided_at - r.submitted_at).total_seconds() // 60)
               for r in referrals if r.decided_at and r.submitted_at]
    return Board({s.value: counts.get(s.value, 0) for s in ReferralStatus}, queue, minutes,
                 overdue)


@dataclass(frozen=True)
class ListedReferral:
    """A referral as the board's lists show it: pseudonym, parties, coded fields, times."""

    pseudonym: str
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    priority: Priority
    status: ReferralStatus
    submitted_at: datetime | None


LIST_LIMIT = 200


def listing(session: Session, institution_ids: list[uuid.UUID] | None,
            status: ReferralStatus | None) -> list[ListedReferral]:
    """The newest referrals (at most ``LIST_LIMIT``) of one status, or of all."""
    query = select(Referral).order_by(Referral.created_at.desc()).limit(LIST_LIMIT)
    if institution_ids is not None:
        query = query.where(or_(Referral.sender_id.in_(institution_ids),
                                Referral.recipient_id.in_(institution_ids)))
    if status is not None:
        query = query.where(Referral.status == status)
    return [ListedReferral(r.recipient_pseudonym, r.sender_id, r.recipient_id, r.priority,
                           r.status, r.submitted_at) for r in session.scalars(query)]
