"""The rest of a report: break-glass reviews, open cases, training and supervision hours, staff.

Hours and staff counts describe an institution's staff, not students: they are shown per
institution as recorded. Releases and cases are counts of students and are suppressed.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    AttentionTier,
    Booking,
    BookingStatus,
    BreakGlassRelease,
    Case,
    CaseStatus,
    EventRegistration,
    Institution,
    RegistrationStatus,
    Slot,
    TrainingEvent,
)
from gateway.services.coordination.reports.period import Period
from gateway.services.coordination.reports.tables import Column, Table, count


@dataclass(frozen=True)
class Requirements:
    """What the region expects: hours per institution and year, students per counsellor."""

    supervision_hours_per_year: float
    training_hours_per_year: float
    students_per_counsellor: int

    @classmethod
    def from_config(cls, config: Mapping) -> Requirements:
        """From ``REPORT_SUPERVISION_HOURS_PER_YEAR``, ``REPORT_TRAINING_HOURS_PER_YEAR`` and
        ``REPORT_STUDENTS_PER_COUNSELLOR``."""
        return cls(float(config["REPORT_SUPERVISION_HOURS_PER_YEAR"]),
                   float(config["REPORT_TRAINING_HOURS_PER_YEAR"]),
                   int(config["REPORT_STUDENTS_PER_COUNSELLOR"]))


def breakglass(session: Session, region: str | None, period: Period, now: datetime) -> Table:
    """Releases opened in the period and how their reviews went."""
    query = select(BreakGlassRelease).where(BreakGlassRelease.created_at >= period.start,
                                            BreakGlassRelease.created_at < period.end)
    if region is not None:
        query = query.where(BreakGlassRelease.region == region)
    releases = list(session.scalars(query))
    tally = Counter()
    for r in releases:
        if r.reviewed_at is not None:
            tally["reviewed_on_time" if r.reviewed_at <= r.review_due_at
                  else "reviewed_late"] += 1
        else:
            tally["overdue" if r.overdue_at(now) else "awaiting_review"] += 1
    table = Table("breakglass", [Column("measure", "measure"), Column("releases")])
    table.add("opened", count(len(releases)))
    for key in ("reviewed_on_time", "reviewed_late", "overdue", "awaiting_review"):
        table.add(key, count(tally[key]))
    return table


# SEAM (issue 11, branch loop): once its case ledger is merged, count open cases by the ledger's
# attention tier here, add "overdue reviews" (reviews past their due date) and a breakdown by
# campus beside "by institution"; each a Table built with ``count`` so suppression holds.
def open_cases(session: Session, ids: set[uuid.UUID]) -> tuple[Table, int]:
    """Cases open now at the region's institutions, by attention tier; and their total."""
    tiers = Counter(session.scalars(select(Case.attention_tier).where(
        Case.status == CaseStatus.OPEN, Case.institution_id.in_(ids))))
    table = Table("open_cases", [Column("tier", "tier"), Column("cases")])
    for tier in AttentionTier:
        table.add(tier.value, count(tiers[tier]))
    return table, sum(tiers.values())


def _hours(rows: list[tuple[uuid.UUID, datetime, datetime]]) -> dict[uuid.UUID, float]:
    total: dict[uuid.UUID, timedelta] = defaultdict(timedelta)
    for institution_id, starts, ends in rows:
        total[institution_id] += ends - starts
    return {k: v.total_seconds() / 3600 for k, v in total.items()}


def _supervision(session: Session, ids: set[uuid.UUID], start: datetime,
                 end: datetime) -> dict[uuid.UUID, float]:
    return _hours(list(session.execute(
        select(Booking.institution_id, Slot.starts_at, Slot.ends_at)
        .join(Slot, Slot.id == Booking.slot_id).where(
            Booking.institution_id.in_(ids), Booking.status == BookingStatus.ATTENDED,
            Slot.starts_at >= start, Slot.starts_at < end))))


def _training(session: Session, ids: set[uuid.UUID], start: datetime,
              end: datetime) -> dict[uuid.UUID, float]:
    return _hours(list(session.execute(
        select(EventRegistration.institution_id, TrainingEvent.starts_at, TrainingEvent.ends_at)
        .join(TrainingEvent, TrainingEvent.resource_id == EventRegistration.event_id).where(
            EventRegistration.institution_id.in_(ids),
            EventRegistration.status == RegistrationStatus.ATTENDED,
            TrainingEvent.starts_at >= start, TrainingEvent.starts_at < end))))


def hours(session: Session, institutions: list[Institution], period: Period,
          required: Requirements) -> Table:
    """Attended supervision and training hours per institution: in the period and in the
    calendar year up to the period's end, against the yearly requirement."""
    ids = {i.id for i in institutions}
    year_start = datetime.combine(date(period.last.year, 1, 1), time(),
                                  ZoneInfo(period.zone)).astimezone(UTC)
    figures = [_supervision(session, ids, period.start, period.end),
               _training(session, ids, period.start, period.end),
               _supervision(session, ids, year_start, period.end),
               _training(session, ids, year_start, period.end)]
    table = Table("hours", [Column("institution"), Column("supervision_hours"),
                            Column("training_hours"), Column("supervision_hours_year"),
                            Column("supervision_required"), Column("training_hours_year"),
                            Column("training_required")])
    for i in institutions:
        s, t, s_year, t_year = (round(f.get(i.id, 0.0), 1) for f in figures)
        table.add(i.name, s, t, s_year, required.supervision_hours_per_year, t_year,
                  required.training_hours_per_year)
    return table


def staff(institutions: list[Institution], required: Requirements) -> Table:
    """Students per counsellor where an institution recorded both counts."""
    table = Table("staff", [Column("institution"), Column("students"), Column("counsellors"),
                            Column("students_per_counsellor"), Column("target"),
                            Column("meets_target", "yes_no")])
    for i in institutions:
        if i.student_count is None or not i.counsellor_count:
            continue
        ratio = round(i.student_count / i.counsellor_count)
        table.add(i.name, i.student_count, i.counsellor_count, ratio,
                  required.students_per_counsellor,
                  "yes" if ratio <= required.students_per_counsellor else "no")
    return table
