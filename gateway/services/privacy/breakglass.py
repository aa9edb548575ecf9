"""Break-glass: a green-channel release without consent, for imminent risk to life.

Only a client with scope ``referrals:emergency`` may open one, with a written justification, for
a green-channel referral; each is rate-limited per institution (counted in the database),
flagged in the audit log, alerted to the region's coordinators at once, open to the recipient
for a limited time, and waits for a coordinator's review.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import (
    AlertKind,
    BreakGlassRelease,
    Institution,
    Purpose,
    ReviewOutcome,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.alerts import raise_alert
from gateway.services.audit import journal
from gateway.services.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RateLimited,
)
from gateway.services.privacy.policy import Policy

SCOPE = "referrals:emergency"
WINDOW = timedelta(hours=24)


def open_release(session: Session, actor: Actor, *, recipient: Institution, subject_key: str,
                 justification: str, policy: Policy,
                 pseudonym: str | None = None) -> BreakGlassRelease:
    """Open a release from the actor's institution to ``recipient``; alert the coordinators.

    ``pseudonym`` (the student's pseudonym for the pair) is shown with the alert.
    """
    if SCOPE not in actor.scopes or actor.institution_id is None:
        raise Forbidden(f"Break-glass needs the '{SCOPE}' scope.")
    if len(justification.strip()) < 20:
        raise InvalidInput("Break-glass needs a written justification (20 characters or more).")
    if recipient.country != policy.network_country:
        raise Forbidden("An institution outside the network's country receives no personal "
                        "data, not even under break-glass.")
    # Lock the sender's row so concurrent releases are counted one after the other.
    sender = session.scalar(select(Institution).where(Institution.id == actor.institution_id)
                            .with_for_update())
    now = utcnow()
    recent = session.scalar(select(func.count()).select_from(BreakGlassRelease).where(
        BreakGlassRelease.institution_id == sender.id,
        BreakGlassRelease.created_at > now - WINDOW))
    if recent >= policy.breakglass_daily_limit:
        raise RateLimited(f"This institution has used break-glass {recent} times in 24 hours; "
                          "call the region's coordinator.")
    release = BreakGlassRelease(
        institution_id=sender.id, recipient_id=recipient.id, region=sender.region,
        subject_key=subject_key, justification=justification, created_by=actor.client_id,
        created_at=now, expires_at=now + policy.breakglass_access,
        review_due_at=now + policy.breakglass_review_within,
    )
    session.add(release)
    session.flush()
    journal.record(session, actor, "breakglass.released", "breakglass_release", release.id,
                   purpose=Purpose.GREEN_CHANNEL_REFERRAL.value,
                   detail={"breakglass": True, "recipient_id": str(recipient.id),
                           "expires_at": release.expires_at.isoformat()})
    raise_alert(session, actor, kind=AlertKind.BREAKGLASS_RELEASED, region=sender.region,
                cause_type="breakglass_release", cause_id=release.id,
                institution_id=sender.id, pseudonym=pseudonym, notice={
                    "release_id": str(release.id), "institution_id": str(sender.id),
                    "recipient_id": str(recipient.id),
                    "expires_at": release.expires_at.isoformat(),
                    "review_due_at": release.review_due_at.isoformat()})
    return release


def pending_reviews(session: Session, region: str | None) -> list[BreakGlassRelease]:
    """Unreviewed releases of ``region`` (None: every region), oldest first."""
    query = select(BreakGlassRelease).where(BreakGlassRelease.reviewed_at.is_(None))
    if region is not None:
        query = query.where(BreakGlassRelease.region == region)
    return list(session.scalars(
        query.order_by(BreakGlassRelease.created_at, BreakGlassRelease.id)))


def recent_reviews(session: Session, region: str | None,
                   limit: int = 20) -> list[BreakGlassRelease]:
    """Reviewed releases of ``region`` (None: every region), most recently reviewed first."""
    query = select(BreakGlassRelease).where(BreakGlassRelease.reviewed_at.is_not(None))
    if region is not None:
        query = query.where(BreakGlassRelease.region == region)
    return list(session.scalars(query.order_by(BreakGlassRelease.reviewed_at.desc(),
                                               BreakGlassRelease.id).limit(limit)))


def overdue_reviews(session: Session, region: str | None,
                    moment: datetime | None = None) -> list[BreakGlassRelease]:
    """Unreviewed releases of ``region`` past their review deadline."""
    moment = moment or utcnow()
    return [release for release in pending_reviews(session, region) if release.overdue_at(moment)]


def review(session: Session, reviewer: Actor, release_id: uuid.UUID,
           outcome: ReviewOutcome, note: str, *, region: str | None = None) -> BreakGlassRelease:
    """Record a coordinator's review; ``unjustified`` ends the recipient's access at once."""
    release = session.get(BreakGlassRelease, release_id, with_for_update=True)
    if release is None or (region is not None and release.region != region):
        raise NotFound("No break-glass release with that id.")
    if release.reviewed_at is not None:
        raise InvalidTransition("This release has already been reviewed.", rule="reviewed")
    if not note.strip():
        raise InvalidInput("A review needs a note.", rule="review_note")
    release.reviewed_at = utcnow()
    release.reviewed_by = reviewer.label
    release.outcome = outcome
    release.review_note = note
    session.flush()
    journal.record(session, reviewer, "breakglass.reviewed", "breakglass_release", release.id,
                   purpose=Purpose.GREEN_CHANNEL_REFERRAL.value,
                   detail={"breakglass": True, "outcome": outcome.value})
    return release
