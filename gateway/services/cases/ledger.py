"""The ledger (重点关注学生台账): a school's own cases, filtered, paged, counted by tier."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gateway.models import AttentionTier, Case, CaseStatus, ReportLevel
from gateway.services import cursors
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases.casework import CASE_PURPOSE
from gateway.services.cases.rules import CaseRules, KeyPeriod
from gateway.services.errors import Forbidden
from gateway.services.network import institutions


@dataclass(frozen=True)
class LedgerFilter:
    """Which cases to list (None: any)."""

    attention_tier: AttentionTier | None = None
    campus_id: uuid.UUID | None = None
    current_level: ReportLevel | None = None
    status: CaseStatus | None = None
    risk_level: str | None = None
    review_due_before: datetime | None = None
    opened_after: datetime | None = None
    opened_before: datetime | None = None
    closed_after: datetime | None = None
    closed_before: datetime | None = None
    risk_factor: str | None = None  # matched after decryption, never in SQL


@dataclass(frozen=True)
class LedgerPage:
    """A page of cases, the cursor of the next page, and the counts of every tier."""

    items: list[Case]
    next_cursor: str | None
    counts: dict[str, int]


def _filtered(query: Select, wanted: LedgerFilter, *, with_tier: bool) -> Select:
    conditions = [
        Case.attention_tier == wanted.attention_tier if with_tier and wanted.attention_tier
        else None,
        Case.campus_id == wanted.campus_id if wanted.campus_id else None,
        Case.current_level == wanted.current_level if wanted.current_level else None,
        Case.status == wanted.status if wanted.status else None,
        Case.risk_level == wanted.risk_level if wanted.risk_level else None,
        or_(Case.next_review_at < wanted.review_due_before,
            Case.next_follow_up_at < wanted.review_due_before)
        if wanted.review_due_before else None,
        Case.created_at >= wanted.opened_after if wanted.opened_after else None,
        Case.created_at < wanted.opened_before if wanted.opened_before else None,
        Case.closed_at >= wanted.closed_after if wanted.closed_after else None,
        Case.closed_at < wanted.closed_before if wanted.closed_before else None,
    ]
    return query.where(*(c for c in conditions if c is not None))


def _own(actor: Actor):
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may list its cases.")
    return Case.institution_id == actor.institution_id


def list_cases(session: Session, actor: Actor, wanted: LedgerFilter, *,
               cursor: str | None = None, limit: int = 20) -> LedgerPage:
    """The actor's own cases matching ``wanted``, newest first; counts by tier ignore the
    tier filter so the ledger can show every tier's total beside the page."""
    own = _own(actor)
    counts = {tier.value: 0 for tier in AttentionTier}
    if wanted.risk_factor is not None:
        items, next_cursor = _page_by_risk_factor(session, own, wanted, counts, cursor, limit)
    else:
        query = _filtered(select(Case).where(own), wanted, with_tier=True)
        found = cursors.page(session, query, Case.created_at, Case.id, cursor, limit)
        items, next_cursor = found.items, found.next_cursor
        counted = _filtered(select(Case.attention_tier, func.count()).where(own), wanted,
                            with_tier=False).group_by(Case.attention_tier)
        counts.update({tier.value: n for tier, n in session.execute(counted)})
    journal.record(session, actor, "case.ledger_listed", "case", None,
                   purpose=CASE_PURPOSE, detail={"count": len(items)})
    return LedgerPage(items, next_cursor, counts)


def _page_by_risk_factor(session: Session, own, wanted: LedgerFilter, counts: dict[str, int],
                         cursor: str | None, limit: int) -> tuple[list[Case], str | None]:
    """Risk factors are encrypted: decrypt the school's filtered cases, match, then page."""
    matching = [case for case in session.scalars(
        _filtered(select(Case).where(own), wanted, with_tier=False)
        .order_by(Case.created_at.desc(), Case.id.desc()))
        if wanted.risk_factor in case.risk_factor_codes]
    for case in matching:
        counts[case.attention_tier.value] += 1
    matching = [c for c in matching
                if wanted.attention_tier is None or c.attention_tier is wanted.attention_tier]
    if cursor:
        moment, ident = cursors.decode(cursor)
        matching = [c for c in matching if (c.created_at, c.id) < (moment, ident)]
    page = matching[:limit]
    more = len(matching) > limit
    return page, cursors.encode(page[-1].created_at, page[-1].id) if more else None


def overdue(session: Session, actor: Actor, *, now: datetime, limit: int = 100) -> list[Case]:
    """Open cases whose review or planned follow-up was due before ``now``, most overdue first."""
    query = (select(Case).where(_own(actor), Case.status == CaseStatus.OPEN,
                                or_(Case.next_review_at < now, Case.next_follow_up_at < now))
             .order_by(Case.next_review_at, Case.id).limit(limit))
    return list(session.scalars(query))


@dataclass(frozen=True)
class KeyPeriodDue:
    """The key period a day falls in (or the next one), and the open cases due by its end."""

    period: KeyPeriod | None
    items: list[Case]


def due_in_key_period(session: Session, actor: Actor, *, rules: CaseRules,
                      today: date) -> KeyPeriodDue:
    """Open cases whose review or planned follow-up falls due before the end of the key period
    ``today`` is in (or the next one of the school's region), soonest first."""
    school = institutions.get_active(session, _own_institution_id(actor))
    period = rules.of(school.region).key_period_from(today)
    if period is None:
        return KeyPeriodDue(None, [])
    end = datetime.combine(period.ends_on + timedelta(days=1), time(), tzinfo=UTC)
    return KeyPeriodDue(period, overdue(session, actor, now=end, limit=500))


def _own_institution_id(actor: Actor) -> uuid.UUID:
    _own(actor)
    return actor.institution_id
