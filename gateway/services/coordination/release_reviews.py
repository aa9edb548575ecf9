"""The coordinators' break-glass review queue, confined to the coordinator's region.

Lists carry pseudonyms, institution ids and times only. A release's justification (written by
the sender, it may mention the student) and a review's note are what the coordinator must
judge: they come only from :func:`queue` and :func:`read`, and each reading is audited. A
release outside the coordinator's region is reported as not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    BreakGlassRelease,
    Coordinator,
    Purpose,
    Referral,
    ReviewOutcome,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import NotFound
from gateway.services.privacy import breakglass


@dataclass(frozen=True)
class ReleaseItem:
    """One release as the queue shows it; ``justification`` and ``note`` only when read."""

    id: uuid.UUID
    sender_id: uuid.UUID
    recipient_id: uuid.UUID
    pseudonym: str | None
    opened_at: datetime
    access_ends_at: datetime
    access_open: bool
    review_due_at: datetime
    overdue: bool
    reviewed_at: datetime | None = None
    outcome: ReviewOutcome | None = None
    reviewer: str | None = None
    justification: str | None = None
    note: str | None = None


def _reviewer(session: Session, label: str | None) -> str | None:
    """A coordinator's e-mail for their audit label; any other label as it is."""
    kind, _, key = (label or "").partition(":")
    if kind == "coordinator":
        try:
            found = session.get(Coordinator, uuid.UUID(key))
        except ValueError:
            found = None
        if found is not None:
            return found.email
    return label


def _items(session: Session, releases: list[BreakGlassRelease], *,
           personal: bool = False) -> list[ReleaseItem]:
    moment = utcnow()
    pseudonyms = {release_id: pseudonym for release_id, pseudonym in session.execute(
        select(Referral.breakglass_id, Referral.recipient_pseudonym)
        .where(Referral.breakglass_id.in_([r.id for r in releases])))} if releases else {}
    items = []
    for r in releases:
        ended_by_review = r.outcome is ReviewOutcome.UNJUSTIFIED and r.reviewed_at is not None
        items.append(ReleaseItem(
            id=r.id, sender_id=r.institution_id, recipient_id=r.recipient_id,
            pseudonym=pseudonyms.get(r.id), opened_at=r.created_at,
            access_ends_at=min(r.expires_at, r.reviewed_at) if ended_by_review else r.expires_at,
            access_open=r.open_at(moment), review_due_at=r.review_due_at,
            overdue=r.overdue_at(moment), reviewed_at=r.reviewed_at, outcome=r.outcome,
            reviewer=_reviewer(session, r.reviewed_by),
            justification=r.justification if personal else None,
            note=r.review_note if personal else None))
    return items


def _audit_reading(session: Session, coordinator: Coordinator, release_id: uuid.UUID) -> None:
    journal.record(session, Actor.coordinator(coordinator), "breakglass.read", "breakglass_release",
                   release_id, purpose=Purpose.GREEN_CHANNEL_REFERRAL.value,
                   detail={"breakglass": True})


def queue(session: Session, coordinator: Coordinator) -> list[ReleaseItem]:
    """Unreviewed releases with their justifications, oldest first; each reading audited."""
    releases = breakglass.pending_reviews(session, coordinator.scope_region)
    for release in releases:
        _audit_reading(session, coordinator, release.id)
    return _items(session, releases, personal=True)


def pending(session: Session, coordinator: Coordinator) -> list[ReleaseItem]:
    """Unreviewed releases, oldest first, without justifications (see ``overdue`` on each)."""
    return _items(session, breakglass.pending_reviews(session, coordinator.scope_region))


def reviewed(session: Session, coordinator: Coordinator, limit: int = 20) -> list[ReleaseItem]:
    """The most recently reviewed releases (no justification, no note)."""
    return _items(session, breakglass.recent_reviews(session, coordinator.scope_region, limit))


def _release(session: Session, coordinator: Coordinator,
             release_id: uuid.UUID) -> BreakGlassRelease:
    found = session.get(BreakGlassRelease, release_id)
    region = coordinator.scope_region
    if found is None or (region is not None and found.region != region):
        raise NotFound("No break-glass release with that id.")
    return found


def read(session: Session, coordinator: Coordinator, release_id: uuid.UUID) -> ReleaseItem:
    """One release of the coordinator's region with its justification and note; audited."""
    release = _release(session, coordinator, release_id)
    _audit_reading(session, coordinator, release.id)
    return _items(session, [release], personal=True)[0]


def review(session: Session, coordinator: Coordinator, release_id: uuid.UUID,
           outcome: ReviewOutcome, note: str) -> BreakGlassRelease:
    """Record the coordinator's review (``unjustified`` ends the recipient's access at once)."""
    release = _release(session, coordinator, release_id)
    return breakglass.review(session, Actor.coordinator(coordinator), release.id, outcome,
                             note.strip(), region=coordinator.scope_region)
