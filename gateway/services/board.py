"""The referral board: counts by status, the green-channel queue and time to decision.

Only pseudonyms, institution names and numbers leave this module: no personal data.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, Priority, Referral, ReferralStatus, utcnow

DECISIONS = ("referral.accepted", "referral.declined")
# receipt SLA of a green-channel referral (DESIGN.md); the referral lifecycle owns the real value
GREEN_CHANNEL_RECEIPT_MINUTES = 15
# upper bounds in minutes of the time-to-decision histogram; the last bin is open
DECISION_BINS = (15, 60, 120, 480, 1440)


@dataclass(frozen=True)
class QueueItem:
    """A green-channel referral still waiting for the recipient."""

    referral_id: uuid.UUID
    pseudonym: str
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    submitted_at: datetime
    waiting_minutes: int

    @property
    def minutes_left(self) -> int:
        """Minutes until the receipt SLA is missed; negative once it is breached."""
        return GREEN_CHANNEL_RECEIPT_MINUTES - self.waiting_minutes


@dataclass(frozen=True)
class Board:
    """What the board shows."""

    counts: dict[str, int]
    green_channel: list[QueueItem]
    decision_minutes: list[int]

    @property
    def breaches(self) -> int:
        """Green-channel referrals waiting past their receipt SLA."""
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
    queue = [
        QueueItem(r.id, r.recipient_pseudonym, r.sender_id, r.recipient_id, r.created_at,
                  int((now - r.created_at).total_seconds() // 60))
        for r in referrals
        if r.priority is Priority.GREEN_CHANNEL and r.status is ReferralStatus.SUBMITTED
    ]
    created = {str(r.id): r.created_at for r in referrals}
    decided = session.execute(
        select(AuditEntry.object_id, AuditEntry.recorded_at)
        .where(AuditEntry.action.in_(DECISIONS), AuditEntry.object_id.in_(list(created)))
    ) if created else []
    minutes = [int((at - created[oid]).total_seconds() // 60) for oid, at in decided]
    return Board({s.value: counts.get(s.value, 0) for s in ReferralStatus}, queue, minutes)
