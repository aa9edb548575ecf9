"""Regional reports (统计报表): de-identified, suppressed counts for a coordinator's region.

A report is a list of :class:`Table` built here once; the admin page, the CSV and XLSX files
and ``GET /api/v1/reports/...`` all render the same tables, so they cannot disagree. Cells
hold counts, rates, hours and institution names only — never a pseudonym or a personal field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Institution, Priority, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.coordination.reports import network_figures as nf
from gateway.services.coordination.reports import referral_figures as rf
from gateway.services.coordination.reports.network_figures import Requirements
from gateway.services.coordination.reports.period import Period, PeriodKind, resolve
from gateway.services.coordination.reports.tables import SMALL, Column, Table, count

__all__ = ["SMALL", "Period", "PeriodKind", "Report", "Requirements", "Table", "build",
           "for_client", "resolve"]

DECISION_BINS = (15, 60, 120, 480, 1440)


@dataclass(frozen=True)
class Report:
    """The tables of one region (None: every region) over one period."""

    region: str | None
    period: Period
    generated_at: datetime
    tables: list[Table]

    def table(self, key: str) -> Table:
        """The table called ``key``."""
        return next(t for t in self.tables if t.key == key)


def _summary(referrals: list, ids: set, allowed: set, breakglass: Table,
             open_total: int) -> Table:
    table = Table("summary", [Column("measure", "measure"), Column("value")])
    table.add("referrals_sent", count(sum(1 for r in referrals if r.sender_id in ids)))
    table.add("referrals_received", count(sum(1 for r in referrals if r.recipient_id in ids)))
    table.add("green_channel", count(sum(1 for r in referrals
                                         if r.priority is Priority.GREEN_CHANNEL)))
    table.add("breakglass_opened", breakglass.rows[0][1])
    table.add("open_cases", count(open_total))
    table.add("totals_only", count(sum(1 for r in referrals if r.id not in allowed)))
    return table


def build(session: Session, *, region: str | None, period: Period,
          requirements: Requirements, now: datetime | None = None) -> Report:
    """The report of ``region`` over ``period``."""
    now = now or utcnow()
    query = select(Institution).order_by(Institution.name)
    if region is not None:
        query = query.where(Institution.region == region)
    institutions = list(session.scalars(query))
    ids = {i.id for i in institutions}
    referrals = rf.in_period(session, ids, period)
    allowed = rf.consented(session, referrals, now)
    breakglass = nf.breakglass(session, region, period, now)
    cases, open_total = nf.open_cases(session, ids)
    tables = [
        _summary(referrals, ids, allowed, breakglass, open_total),
        rf.by_status(referrals, ids), rf.by_priority(referrals, ids),
        rf.by_reason(referrals, ids),
        rf.by_institution(referrals, institutions, allowed),
        rf.by_kind(referrals, {i.id: i for i in institutions}, allowed),
        rf.sla(referrals, institutions, allowed, now), rf.timings(referrals, ids),
        rf.decision_histogram(referrals, ids, DECISION_BINS),
        rf.weekly(referrals, ids, period), breakglass, cases,
        nf.hours(session, institutions, period, requirements),
        nf.staff(institutions, requirements),
    ]
    return Report(region, period, now, tables)


def for_client(session: Session, actor: Actor, *, kind: PeriodKind, zones: Mapping[str, str],
               default_zone: str, requirements: Requirements, first: date | None = None,
               last: date | None = None) -> Report:
    """The report of the region of the calling institution (an authority's system); audited."""
    region = session.get(Institution, actor.institution_id).region
    period = resolve(kind, zones.get(region, default_zone), first=first, last=last)
    report = build(session, region=region, period=period, requirements=requirements)
    journal.record(session, actor, "report.read", "institution", actor.institution_id,
                   detail={"region": region, "first": period.first.isoformat(),
                           "last": period.last.isoformat()})
    return report
