"""The rest of a report: break-glass reviews, open cases, training and supervision hours, staff.

Hours and staff counts describe an institution's staff, not students: they are shown per
institution as recorded. Releases and cases are counts of students and are suppressed; cases
are counted with the ledger's queries (``services/cases/ledger``), so a report and a school's
ledger cannot disagree.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from gateway.models import (
    AttentionTier,
    Booking,
    BookingStatus,
    BreakGlassRelease,
    Campus,
    Case,
    CaseStatus,
    Consent,
    EventRegistration,
    Institution,
    Purpose,
    RegistrationStatus,
    Slot,
    TrainingEvent,
)
from gateway.services.cases import ledger
from gateway.services.coordination.reports.period import Period
from gateway.services.coordination.reports.tables import Column, Table, count

NO_CAMPUS = ""  # the campus cell of an institution's cases recorded without a campus


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


@dataclass(frozen=True)
class CaseFigures:
    """Open cases now, by attention tier and by campus, with the overdue reviews among them."""

    by_tier: Table
    by_campus: Table
    open_total: int
    overdue_total: int


def _tier_sum(tally: dict[tuple, int], *group) -> Counter:
    """Counts of one group of a ledger tally (ending in the tier), by tier."""
    return Counter({key[-1]: n for key, n in tally.items() if key[:-1] == group})


def _by_campus(session: Session, institutions: list[Institution], opened: dict[tuple, int],
               overdue: dict[tuple, int]) -> Table:
    table = Table("cases_by_campus", [Column("institution"), Column("campus", "campus"),
                                      *(Column(t.value) for t in AttentionTier),
                                      Column("overdue_reviews")])
    campuses = defaultdict(list)
    for campus in session.scalars(select(Campus).where(
            Campus.institution_id.in_({i.id for i in institutions})).order_by(Campus.name)):
        campuses[campus.institution_id].append(campus)
    for i in institutions:
        sites = [(c.id, c.name) for c in campuses[i.id]]
        if any(key[:2] == (i.id, None) for key in opened):
            sites.append((None, NO_CAMPUS))
        for campus_id, name in sites:
            tiers = _tier_sum(opened, i.id, campus_id)
            late = sum(_tier_sum(overdue, i.id, campus_id).values())
            table.add(i.name, name, *(count(tiers[t]) for t in AttentionTier), count(late))
    return table


def cases(session: Session, institutions: list[Institution], now: datetime) -> CaseFigures:
    """Cases open now at ``institutions``, counted with the ledger's own queries: by attention
    tier with the overdue reviews (a review or planned follow-up past due) over every case, and
    by campus over the cases with statistics consent (rows that name an institution)."""
    own = Case.institution_id.in_({i.id for i in institutions})
    opened = ledger.tally(session, own, Case.status == CaseStatus.OPEN)
    overdue = ledger.tally(session, own, ledger.overdue_at(now))
    table = Table("open_cases", [Column("tier", "tier"), Column("cases"),
                                 Column("overdue_reviews")])
    for tier in AttentionTier:
        table.add(tier.value, count(opened.get((tier,), 0)), count(overdue.get((tier,), 0)))
    by, allowed = (Case.institution_id, Case.campus_id), _statistics_consent(now)
    by_campus = _by_campus(
        session, institutions,
        ledger.tally(session, own, allowed, Case.status == CaseStatus.OPEN, by=by),
        ledger.tally(session, own, allowed, ledger.overdue_at(now), by=by))
    return CaseFigures(table, by_campus, sum(opened.values()), sum(overdue.values()))


def _statistics_consent(now: datetime) -> ColumnElement[bool]:
    """The case's student has an ``aggregate_statistics`` consent in force at its school:
    only such cases are counted in rows that name an institution."""
    return exists().where(
        Consent.institution_id == Case.institution_id, Consent.subject_key == Case.subject_key,
        Consent.purpose == Purpose.AGGREGATE_STATISTICS, Consent.revoked_at.is_(None),
        Consent.valid_from <= now, Consent.valid_until > now)


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
