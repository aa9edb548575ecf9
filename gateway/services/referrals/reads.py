"""Referral reads: one referral, its history and a box's pages, minimised for the reader."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gateway.models import (
    Purpose,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from gateway.services import cursors
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import (
    Forbidden,
)
from gateway.services.privacy import disclosure
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access
from gateway.services.referrals.intake import BATCH, Page


def read(session: Session, actor: Actor, referral_id: uuid.UUID, *,
         policy: Policy) -> dict:
    """Read one referral, minimised to what the actor may see; the access is audited."""
    referral = access.get_visible(session, actor, referral_id)
    view, decision = disclosure.view_with_decision(session, actor, referral, policy)
    journal.record(session, actor, "referral.read", "referral", referral.id,
                   purpose=disclosure.purpose_of(referral).value,
                   consent_id=decision.consent_id if decision else referral.consent_id,
                   detail=decision.audit_detail if decision else {"basis": "holder"})
    return view


def history(session: Session, actor: Actor, referral_id: uuid.UUID, *,
            policy: Policy) -> list[dict]:
    """The referral's events (status changes and feedback), oldest first; audited.

    Free-text notes are clinical notes: shown only when
    :func:`gateway.services.referrals.access.notes_visible` allows.
    """
    referral = access.get_visible(session, actor, referral_id)
    journal.record(session, actor, "referral.history_read", "referral", referral.id,
                   purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id)
    with_notes = access.notes_visible(session, referral, actor.institution_id, policy=policy)
    events = session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.recorded_at,
                                                           ReferralEvent.id))
    return [{"id": e.id, "recorded_at": e.recorded_at, "actor": e.actor,
             "from_status": e.from_status, "to_status": e.to_status,
             "business_status": e.business_status, "appointment_at": e.appointment_at,
             "note": e.note if with_notes else None} for e in events]


def _views(session: Session, actor: Actor, rows: list[Referral],
           policy: Policy) -> list[tuple[Referral, dict]]:
    """Each referral with the actor's view of it, decided in batches of :data:`BATCH`."""
    views: list[tuple[Referral, dict]] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        decided = disclosure.views_with_decisions(session, actor, batch, policy)
        views.extend((r, view) for r, (view, _decision) in zip(batch, decided, strict=True))
    return views


def list_box(
    session: Session,
    actor: Actor,
    *,
    box: str = "inbox",
    status: ReferralStatus | None = None,
    risk_level: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    policy: Policy,
) -> Page:
    """Referrals received (``inbox``) or sent (``sent``) by the actor, newest first.

    Filters on personal fields (``risk_level``) match only what the caller may see now, and
    ``total`` counts only those matches, so neither reveals a withheld record's content.
    """
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may list referrals.")
    if box == "inbox":  # a draft is the sender's until submitted
        query = select(Referral).where(Referral.recipient_id == actor.institution_id,
                                       Referral.status != ReferralStatus.DRAFT)
    else:
        query = select(Referral).where(Referral.sender_id == actor.institution_id)
    if status is not None:
        query = query.where(Referral.status == status)
    protected = {k: v for k, v in {"risk_level": risk_level}.items() if v is not None}
    newest_first = (Referral.created_at.desc(), Referral.id.desc())
    if protected:  # the filter and ``total`` need every referral of the box decided
        views = [(r, view) for r, view in _views(session, actor, list(
            session.scalars(query.order_by(*newest_first))), policy)
                 if disclosure.matches(view, protected)]
        total = len(views)
        if cursor:
            created, ident = cursors.decode(cursor)
            views = [(r, v) for r, v in views if (r.created_at, r.id) < (created, ident)]
        page, more = views[:limit], len(views) > limit
    else:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        if cursor:
            created, ident = cursors.decode(cursor)
            query = query.where(
                or_(Referral.created_at < created,
                    and_(Referral.created_at == created, Referral.id < ident))
            )
        rows = list(session.scalars(query.order_by(*newest_first).limit(limit + 1)))
        page = _views(session, actor, rows[:limit], policy)
        more = len(rows) > limit
    journal.record(session, actor, "referral.listed", "referral", None,
                   purpose=Purpose.REFERRAL.value,
                   detail={"box": box, "ids": [str(r.id) for r, _ in page],
                           "filters": sorted(protected)})
    last = page[-1][0] if more else None
    next_cursor = cursors.encode(last.created_at, last.id) if last is not None else None
    return Page([view for _, view in page], next_cursor, total)
