"""Overdue crisis reviews never go unnoticed: the scheduler raises one alert per missed review.

A crisis-tier open case whose ``next_review_at`` has passed gets an alert to the school's and
the region's contacts; recording the review moves ``next_review_at`` on, so the next miss raises
a new one. Rows are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), and an alert raised
since the review fell due counts as already raised, so racing schedulers raise it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from gateway.models import Alert, AlertKind, AttentionTier, Case, CaseStatus, Institution
from gateway.services.actor import Actor
from gateway.services.alerts import raise_alert

ACTOR = Actor.system("scheduler")
CAUSE = "case_review"


def sweep(session: Session, now: datetime, *, batch: int = 100) -> int:
    """Raise an alert for each open crisis case whose review is overdue at ``now``; how many."""
    already = exists().where(Alert.cause_type == CAUSE, Alert.cause_id == Case.id,
                             Alert.created_at >= Case.next_review_at)
    overdue = list(session.scalars(
        select(Case).where(Case.status == CaseStatus.OPEN,
                           Case.attention_tier == AttentionTier.CRISIS,
                           Case.next_review_at < now, ~already)
        .order_by(Case.next_review_at).limit(batch).with_for_update(skip_locked=True)))
    for case in overdue:
        school = session.get(Institution, case.institution_id)
        raise_alert(session, ACTOR, kind=AlertKind.CRISIS_REVIEW_OVERDUE, region=school.region,
                    cause_type=CAUSE, cause_id=case.id, institution_id=school.id, at=now,
                    notice={
                        "case_id": str(case.id), "institution_id": str(school.id),
                        "review_due_at": case.next_review_at.isoformat()})
    return len(overdue)
