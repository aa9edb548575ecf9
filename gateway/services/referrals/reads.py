"""Referral reads: one referral, its history and a box's pages, minimised for the reader."""

from __future__ import annotations

import operator
import uuid
from collections import namedtuple
from datetime import datetime
from functools import cache

from sqlalchemy import Integer, Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session

from gateway.models import (
    Consent,
    Priority,
    Purpose,
    Referral,
    ReferralEvent,
    ReferralStatus,
    utcnow,
)
from gateway.services import cursors, row_queue
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import (
    Forbidden,
    NotFound,
)
from gateway.services.privacy import consent, disclosure
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, triage
from gateway.services.referrals.intake import Page

FILTER_WINDOW_FACTOR = 5  # a filtered page examines up to this many referrals per item asked
FILTER_WINDOW_MAX = 200  # and never more than this many (one consent batch)
UPDATED_COMPARISONS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
                       "le": operator.le}
# what a page's views read, loaded as plain rows of these names (a page is shown, never
# changed: no ORM state to build per referral); the hybrids computed in SQL
_SHOWN = (
    Referral.id, Referral.sender_id, Referral.recipient_id, Referral.subject_key,
    Referral.recipient_pseudonym, Referral.consent_id, Referral.breakglass_id,
    Referral.data_categories, Referral.personal_data, Referral.priority, Referral.reason,
    Referral.summary, Referral.diagnosis_code, Referral.status, Referral.business_status,
    Referral.decline_reason, Referral.outcome_note, Referral.outcome_diagnosis_code,
    Referral.part_of_id, Referral.submitted_at, Referral.receipt_due_at,
    Referral.decision_due_at, Referral.created_at, Referral.updated_at, Referral.version,
    Referral.due_at.label("due_at"), Referral.deadline_order.label("deadline_order"))
# a page's row as a named tuple of those names: the views read some 40 attributes per row,
# and SQLAlchemy's Row finds each through a failed lookup and its __getattr__ (about 1 µs),
# where a named tuple's is a slot read
ShownRow = namedtuple("ShownRow", select(*_SHOWN).selected_columns.keys())

# built once: every referral read asks it. The referral and, generation by generation, the
# onward referrals made from it and from those, as shown rows
_CHAIN = select(Referral.id, literal(0).label("depth")).where(
    Referral.id == bindparam("referral_id")).cte("chain", recursive=True)
_CHAIN = _CHAIN.union_all(select(Referral.id, _CHAIN.c.depth + 1).join(
    _CHAIN, Referral.part_of_id == _CHAIN.c.id))
_WITH_CHAIN = (select(*_SHOWN).join(_CHAIN, Referral.id == _CHAIN.c.id)
               .order_by(_CHAIN.c.depth, Referral.created_at, Referral.id))


def _visible_with_chain(session: Session, actor: Actor,
                        referral_id: uuid.UUID) -> tuple[ShownRow, list[ShownRow]]:
    """The referral as :func:`access.visible` lets the actor see it, with the onward referrals
    made from it and from those (generation by generation, each oldest first), in one query of
    plain rows. A link carries no personal data (who referred to whom, when, where it stands),
    and another party's draft is left out."""
    found = [ShownRow._make(row) for row in row_queue.plain_rows(
        session, _WITH_CHAIN, {"referral_id": referral_id})]
    referral = access.visible(actor, found[0] if found else None)  # depth 0 comes first
    links = [link for link in found[1:]
             if link.status is not ReferralStatus.DRAFT or link.sender_id == actor.institution_id]
    return referral, links


def read(session: Session, actor: Actor, referral_id: uuid.UUID, *,
         policy: Policy) -> dict:
    """Read one referral, minimised to what the actor may see, with the chain of onward
    referrals made from it (no personal data); the access is audited."""
    referral, links = _visible_with_chain(session, actor, referral_id)
    view, decision = disclosure.view_with_decision(session, actor, referral, policy)
    detail = decision.audit_detail if decision else {"basis": "holder"}
    journal.record(session, actor, "referral.read", "referral", referral.id,
                   purpose=disclosure.purpose_of(referral).value,
                   consent_id=decision.consent_id if decision else referral.consent_id,
                   detail={**detail, "onward": [str(link.id) for link in links]} if links
                   else detail)
    return {**view, "onward_referrals": links}


def read_subject(session: Session, actor: Actor, pseudonym: str, *,
                 policy: Policy) -> dict:
    """The newest referral the actor sees about the subject with this pair ``pseudonym``,
    minimised to what the actor may see (the subject's identity only if consented); audited.
    """
    if actor.institution_id is None:
        raise NotFound("No subject with that id.")
    query = select(Referral.id).where(
        Referral.recipient_pseudonym == pseudonym,
        or_(Referral.sender_id == actor.institution_id,
            and_(Referral.recipient_id == actor.institution_id,
                 Referral.status != ReferralStatus.DRAFT)))
    referral_id = session.scalar(query.order_by(Referral.created_at.desc(),
                                                Referral.id.desc()).limit(1))
    if referral_id is None:
        raise NotFound("No subject with that id.")
    return read(session, actor, referral_id, policy=policy)


def read_consent(session: Session, actor: Actor, consent_id: uuid.UUID, *,
                 policy: Policy) -> tuple[dict, dict]:
    """The consent a referral the actor sees was sent under, de-identified, with that
    referral's view: what it allows, to whom and when (never who granted it); audited.
    """
    if actor.institution_id is None:
        raise NotFound("No consent with that id.")
    referral_id = session.scalar(select(Referral.id).where(
        Referral.consent_id == consent_id,
        or_(Referral.sender_id == actor.institution_id,
            and_(Referral.recipient_id == actor.institution_id,
                 Referral.status != ReferralStatus.DRAFT)))
        .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(1))
    if referral_id is None:
        raise NotFound("No consent with that id.")
    view = read(session, actor, referral_id, policy=policy)
    held = session.get(Consent, consent_id)
    facts = {"purpose": held.purpose.value, "valid_from": held.valid_from,
             "valid_until": held.valid_until, "data_categories": list(held.data_categories),
             "in_force": held.is_valid_at(utcnow()), "recorded_at": held.created_at}
    return view, facts


def versions(session: Session, actor: Actor, referral_id: uuid.UUID, *,
             policy: Policy) -> tuple[dict, list[dict]]:
    """The actor's view of the referral now and its lifecycle at each version, newest first.

    Each version made by an event holds ``version``, ``status``, ``business_status`` and
    ``recorded_at`` (no notes); the current version is always the first. Audited as a read.
    """
    view = read(session, actor, referral_id, policy=policy)
    events = session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.version.is_not(None))
        .order_by(ReferralEvent.version))
    steps: dict[int, dict] = {}
    status, business = None, None
    for event in events:
        status = event.to_status or status or event.from_status
        business = event.business_status or business
        steps[event.version] = {"version": event.version, "status": status,
                                "business_status": business,
                                "recorded_at": event.recorded_at}
    steps[view["version"]] = {"version": view["version"], "status": view["status"].value,
                              "business_status": view.get("business_status"),
                              "recorded_at": view["updated_at"]}
    return view, [steps[number] for number in sorted(steps, reverse=True)]


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


def _views(session: Session, actor: Actor, rows: list[ShownRow], joined: list[tuple],
           policy: Policy) -> list[tuple[ShownRow, dict]]:
    """Each referral with the actor's view of it, all decided together on the facts joined to
    the page's rows."""
    decided = disclosure.views_with_decisions(session, actor, rows, policy, joined=joined)
    return [(r, view) for r, (view, _decision) in zip(rows, decided, strict=True)]


# A page's constants are in its statement's text (``literal_execute``), not bound: psycopg
# prepares a statement run five times, and PostgreSQL keeps one generic plan for it only if
# that plan costs no more than the plans made for each execution's values. Bound, the LIMIT
# was costed for a tenth of the box, and ``status <> $1`` for none of a box whose referrals
# share one status, so the generic plan sorted the whole box and lost: the page was planned
# again on every request (0.3 ms of the database's CPU; docs/performance.md, "Eighth pass").
_NOT_DRAFT = Referral.status != literal(ReferralStatus.DRAFT, Referral.status.type,
                                        literal_execute=True)
_ROWS = bindparam("rows", type_=Integer(), literal_execute=True)  # a page's limit + 1

# a box's referrals, of the institution bound as ``institution``
_BOXES = {
    "inbox": select(*_SHOWN).where(  # a draft is the sender's until submitted
        Referral.recipient_id == bindparam("institution"), _NOT_DRAFT),
    "sent": select(*_SHOWN).where(Referral.sender_id == bindparam("institution")),
}


def _page(query: Select, order: triage.Order, after: bool) -> Select:
    """``query``'s first ``rows`` (a parameter rendered into the text, :data:`_ROWS`) in
    ``order``, after the bound position if ``after``, each with the facts of deciding it joined
    (:func:`disclosure.with_facts`): a row per consent of its student, in ``order`` and each
    referral's consents oldest first."""
    if after:
        query = order.after(query)
    page = query.order_by(*order.columns()).limit(_ROWS).subquery("page")
    return disclosure.with_facts(page).order_by(*order.columns(page),
                                                *consent.CONSENT_ORDER)


@cache  # most pages have no filter: built once per box, order and start, as is its cache key
def _plain_page(box: str, order: triage.Order, after: bool) -> Select:
    return _page(_BOXES[box], order, after)


# a page's row: the referral's shown columns, then the facts joined to them
PageRow = namedtuple("PageRow", _plain_page("inbox", triage.Order.named("newest"), False)
                     .selected_columns.keys())
_SHOWN_WIDTH = len(ShownRow._fields)


def _page_rows(session: Session, statement: Select, params: dict
               ) -> tuple[list[ShownRow], list[PageRow]]:
    """The page's referrals, each once and in order, and every row with its facts."""
    joined = list(map(PageRow._make, row_queue.plain_rows(session, statement, params)))
    referrals: list[ShownRow] = []
    for row in joined:  # a referral's rows (one per consent) come together
        if not referrals or referrals[-1].id != row.id:
            referrals.append(ShownRow._make(row[:_SHOWN_WIDTH]))
    return referrals, joined


def filter_window(limit: int) -> int:
    """How many referrals a page filtered on personal fields examines at most."""
    return max(limit, min(limit * FILTER_WINDOW_FACTOR, FILTER_WINDOW_MAX))


def list_box(
    session: Session,
    actor: Actor,
    *,
    box: str = "inbox",
    status: ReferralStatus | None = None,
    priority: list[Priority] | None = None,
    due_before: datetime | None = None,
    sort: str = "newest",
    counterparty: uuid.UUID | None = None,
    updated: tuple[str, datetime] | None = None,
    risk_level: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    with_total: bool = False,
    policy: Policy,
) -> Page:
    """Referrals received (``inbox``) or sent (``sent``) by the actor, newest first or most
    urgent deadline first (``sort="deadline"``), with the matches counted per priority.

    ``counterparty`` keeps those sent by (inbox) or to (sent) one institution; ``updated``
    (``gt``, ``ge``, ``lt`` or ``le`` and a moment) those last changed after or before it.
    ``total`` and the counts by priority are counted only ``with_total`` (a count grows with
    the box, a keyset page does not).

    Filters on personal fields (``risk_level``) match only what the caller may see now, so
    they reveal nothing of a withheld record. They filter after the limit: a page examines at
    most :func:`filter_window` referrals in keyset order, decides them in one batch and returns
    the matches among them (up to ``limit``; fewer, even none, when the window holds fewer)
    with a cursor after the last one examined, so the next page goes on from there. Such a page
    costs the same whatever the box holds; ``total`` and the counts are then None (counting the
    matches would decide every referral of the box).
    """
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may list referrals.")
    order = triage.Order.named(sort)
    protected = {k: v for k, v in {"risk_level": risk_level}.items() if v is not None}
    examined = filter_window(limit) if protected else limit
    params: dict[str, object] = {"institution": actor.institution_id, "rows": examined + 1}
    if cursor:
        params.update(triage.after_position(cursors.decode(cursor)))
    total, by_priority = None, None
    if status is None and not priority and due_before is None and updated is None \
            and counterparty is None and not with_total:
        statement = _plain_page(box, order, bool(cursor))
    else:
        query = triage.narrow(_BOXES[box], status=status, priorities=priority,
                              due_before=due_before)
        if updated is not None:
            query = query.where(UPDATED_COMPARISONS[updated[0]](Referral.updated_at,
                                                                updated[1]))
        if counterparty is not None:
            query = query.where((Referral.sender_id if box == "inbox"
                                 else Referral.recipient_id) == counterparty)
        if with_total and not protected:
            total = session.scalar(select(func.count()).select_from(query.subquery()), params)
            by_priority = triage.counts(session, query, params)
        statement = _page(query, order, bool(cursor))
    rows, joined = _page_rows(session, statement, params)
    views = _views(session, actor, rows[:examined], joined, policy)
    if protected:
        matching = [(r, view) for r, view in views if disclosure.matches(view, protected)]
        page = matching[:limit]
        # after the last match shown when more matched than fit, else after the last examined
        last = page[-1][0] if len(matching) > limit else (
            views[-1][0] if len(rows) > examined else None)
    else:
        page = views
        last = page[-1][0] if len(rows) > limit else None
    journal.record(session, actor, "referral.listed", "referral", None,
                   purpose=Purpose.REFERRAL.value,
                   detail={"box": box, "ids": [str(r.id) for r, _ in page],
                           "filters": sorted(protected)})
    next_cursor = cursors.encode(*order.position(last)) if last is not None else None
    return Page([view for _, view in page], next_cursor, total, by_priority)
