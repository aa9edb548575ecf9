"""Overdue reviews on the board: a region's open cases whose review (研判) or planned
follow-up is past due, as the school's ledger counts them. Only a short case reference, the
school, its campus, the tier and dates leave this module: nothing personal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import AttentionTier, Campus, Case
from gateway.services.cases import ledger

LIST_LIMIT = 200


@dataclass(frozen=True)
class OverdueReview:
    """An open case whose review or planned follow-up was due before ``now``."""

    case_id: uuid.UUID
    institution_id: uuid.UUID
    campus: str | None
    tier: AttentionTier
    due_at: datetime
    now: datetime

    @property
    def reference(self) -> str:
        """The first 8 hex digits of the case id (the id the school's ledger API returns)."""
        return self.case_id.hex[:8]

    @property
    def days_overdue(self) -> int:
        """Whole days since the review fell due."""
        return (self.now - self.due_at).days


def _due(case: Case, now: datetime) -> datetime:
    return min(d for d in (case.next_review_at, case.next_follow_up_at) if d and d < now)


def _scope(institution_ids: list[uuid.UUID] | None) -> list:
    return [] if institution_ids is None else [Case.institution_id.in_(institution_ids)]


def count(session: Session, institution_ids: list[uuid.UUID] | None, *, now: datetime) -> int:
    """How many reviews are overdue at ``institution_ids`` (None: every institution)."""
    return sum(ledger.tally(session, *_scope(institution_ids), ledger.overdue_at(now)).values())


def listing(session: Session, institution_ids: list[uuid.UUID] | None, *,
            now: datetime) -> list[OverdueReview]:
    """Overdue reviews at ``institution_ids`` (None: every institution), most overdue first."""
    cases = ledger.overdue_among(session, *_scope(institution_ids), now=now, limit=LIST_LIMIT)
    campuses = {c.id: c.name for c in session.scalars(select(Campus).where(
        Campus.id.in_({c.campus_id for c in cases if c.campus_id})))} if cases else {}
    items = [OverdueReview(c.id, c.institution_id, campuses.get(c.campus_id), c.attention_tier,
                           _due(c, now), now) for c in cases]
    return sorted(items, key=lambda item: item.due_at)
