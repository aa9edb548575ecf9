"""Referral figures of a report: status, priority, reason, institution, SLA, timings, weeks.

Region totals (status, priority, reason, timings, weeks) count every referral of the period.
Rows that name an institution or an institution kind count only referrals whose subject gave
the sending institution an ``aggregate_statistics`` consent that is in force now.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import (
    Consent,
    Institution,
    Priority,
    Purpose,
    Referral,
    ReferralReason,
    ReferralStatus,
)
from gateway.services.coordination.reports.period import Period
from gateway.services.coordination.reports.tables import (
    Column,
    Table,
    count,
    percent,
    quantiles,
)


def in_period(session: Session, ids: set[uuid.UUID], period: Period) -> list[Referral]:
    """Referrals submitted in the period that the region's institutions sent or received."""
    return list(session.scalars(select(Referral).where(
        Referral.submitted_at >= period.start, Referral.submitted_at < period.end,
        or_(Referral.sender_id.in_(ids), Referral.recipient_id.in_(ids)))))


def consented(session: Session, referrals: list[Referral], now: datetime) -> set[uuid.UUID]:
    """Ids of the referrals whose sender holds an ``aggregate_statistics`` consent in force."""
    senders = {r.sender_id for r in referrals}
    if not senders:
        return set()
    pairs = set(session.execute(select(Consent.institution_id, Consent.subject_key).where(
        Consent.purpose == Purpose.AGGREGATE_STATISTICS, Consent.institution_id.in_(senders),
        Consent.revoked_at.is_(None), Consent.valid_from <= now, Consent.valid_until > now)))
    return {r.id for r in referrals if (r.sender_id, r.subject_key) in pairs}


def _sent_received(key: str, codes: str, values: list[str], referrals: list[Referral],
                   ids: set[uuid.UUID], value_of: Callable[[Referral], str]) -> Table:
    sent = Counter(value_of(r) for r in referrals if r.sender_id in ids)
    received = Counter(value_of(r) for r in referrals if r.recipient_id in ids)
    table = Table(key, [Column(codes, codes), Column("sent"), Column("received")])
    for value in values:
        table.add(value, count(sent[value]), count(received[value]))
    return table


def by_status(referrals: list[Referral], ids: set[uuid.UUID]) -> Table:
    """Referrals sent and received, by their status now."""
    return _sent_received("by_status", "status",
                          [s.value for s in ReferralStatus if s is not ReferralStatus.DRAFT],
                          referrals, ids, lambda r: r.status.value)


def by_priority(referrals: list[Referral], ids: set[uuid.UUID]) -> Table:
    """Referrals sent and received, by priority."""
    return _sent_received("by_priority", "priority", [p.value for p in Priority], referrals,
                          ids, lambda r: r.priority.value)


def by_reason(referrals: list[Referral], ids: set[uuid.UUID]) -> Table:
    """Referrals sent and received, by coded reason."""
    return _sent_received("by_reason", "reason", [p.value for p in ReferralReason], referrals,
                          ids, lambda r: r.reason.value)


def by_institution(referrals: list[Referral], institutions: list[Institution],
                   allowed: set[uuid.UUID]) -> Table:
    """Consented referrals per institution of the region: sent, received, green channel."""
    counted = [r for r in referrals if r.id in allowed]
    sent = Counter(r.sender_id for r in counted)
    received = Counter(r.recipient_id for r in counted)
    green = Counter(i for r in counted if r.priority is Priority.GREEN_CHANNEL
                    for i in {r.sender_id, r.recipient_id})
    table = Table("by_institution", [Column("institution"), Column("kind", "kind"),
                                     Column("sent"), Column("received"),
                                     Column("green_channel")])
    for i in institutions:
        table.add(i.name, i.kind.value, count(sent[i.id]), count(received[i.id]),
                  count(green[i.id]))
    return table


def by_kind(referrals: list[Referral], institutions: dict[uuid.UUID, Institution],
            allowed: set[uuid.UUID]) -> Table:
    """Consented referrals sent and received, by the kind of the region's institution."""
    counted = [r for r in referrals if r.id in allowed]
    sent = Counter(institutions[r.sender_id].kind.value for r in counted
                   if r.sender_id in institutions)
    received = Counter(institutions[r.recipient_id].kind.value for r in counted
                       if r.recipient_id in institutions)
    kinds = sorted({i.kind.value for i in institutions.values()})
    table = Table("by_kind", [Column("kind", "kind"), Column("sent"), Column("received")])
    for kind in kinds:
        table.add(kind, count(sent[kind]), count(received[kind]))
    return table


def _met(done: datetime | None, due: datetime | None, now: datetime) -> bool | None:
    """True on time, False late (or still open past the deadline), None not yet measurable."""
    if due is None:
        return None
    if done is not None:
        return done <= due
    return False if now >= due else None


def sla(referrals: list[Referral], institutions: list[Institution], allowed: set[uuid.UUID],
        now: datetime) -> Table:
    """Green-channel SLA compliance per recipient of the region (consented referrals)."""
    table = Table("sla", [Column("recipient"), Column("green_channel"),
                          Column("receipt_on_time_percent"),
                          Column("decision_on_time_percent")])
    for i in institutions:
        mine = [r for r in referrals if r.id in allowed and r.recipient_id == i.id
                and r.priority is Priority.GREEN_CHANNEL]
        if not mine:
            continue
        receipt = [m for r in mine if (m := _met(r.received_at, r.receipt_due_at, now))
                   is not None]
        decision = [m for r in mine if (m := _met(r.decided_at, r.decision_due_at, now))
                    is not None]
        table.add(i.name, count(len(mine)), percent(sum(receipt), len(receipt)),
                  percent(sum(decision), len(decision)))
    return table


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 60


def timings(referrals: list[Referral], ids: set[uuid.UUID]) -> Table:
    """Minutes from submission to receipt and to decision of referrals the region received."""
    mine = [r for r in referrals if r.recipient_id in ids]
    table = Table("timings", [Column("measure", "measure"), Column("measured"),
                              Column("median_minutes"), Column("p90_minutes")])
    for measure, end in (("time_to_receipt", "received_at"), ("time_to_decision", "decided_at")):
        values = [m for r in mine if (m := _minutes(r.submitted_at, getattr(r, end))) is not None]
        table.add(measure, count(len(values)), *quantiles(values))
    return table


def decision_histogram(referrals: list[Referral], ids: set[uuid.UUID],
                       bins: tuple[int, ...]) -> Table:
    """Decisions of referrals the region received, by minutes from submission."""
    minutes = [m for r in referrals if r.recipient_id in ids
               if (m := _minutes(r.submitted_at, r.decided_at)) is not None]
    uppers: list[int | None] = [*bins, None]
    counts = Counter(next(b for b in uppers if b is None or m <= b) for m in minutes)
    table = Table("decision_histogram", [Column("minutes"), Column("decisions")])
    for upper in uppers:
        table.add(f"≤ {upper}" if upper is not None else f"> {bins[-1]}", count(counts[upper]))
    return table


def weekly(referrals: list[Referral], ids: set[uuid.UUID], period: Period) -> Table:
    """Referrals sent and received per week (by the Monday the week starts, local time)."""
    zone = ZoneInfo(period.zone)

    def monday(r: Referral) -> str:
        day = r.submitted_at.astimezone(zone).date()
        return (day - timedelta(days=day.weekday())).isoformat()

    sent = Counter(monday(r) for r in referrals if r.sender_id in ids)
    received = Counter(monday(r) for r in referrals if r.recipient_id in ids)
    table = Table("weekly", [Column("week"), Column("sent"), Column("received")])
    for week in period.weeks():
        table.add(week.isoformat(), count(sent[week.isoformat()]),
                  count(received[week.isoformat()]))
    return table
