"""The regional report over a seeded month: every figure, suppression, consent, periods."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.db import transaction
from gateway.services.coordination import reports
from gateway.services.errors import InvalidInput
from tests.coordination.reports_support import seed_month

REQUIRED = reports.Requirements(supervision_hours_per_year=20, training_hours_per_year=40,
                                students_per_counsellor=4000)
STAFF_TABLES = {"hours", "staff"}  # staff figures, not counts of students
NOVEMBER = reports.resolve(reports.PeriodKind.MONTH, "Asia/Shanghai", first=date(2026, 11, 5))


def _rows(report, key: str) -> dict:
    return {row[0]: row[1:] for row in report.table(key).rows}


@pytest.fixture
def seeded_report(app):
    seeded = seed_month(app)
    with transaction(app) as session:
        return seeded, reports.build(session, region="r1", period=NOVEMBER,
                                     requirements=REQUIRED)


def test_the_seeded_month_gives_the_expected_counts(seeded_report):
    _seeded, report = seeded_report
    assert _rows(report, "summary") == {
        "referrals_sent": [19], "referrals_received": [21], "green_channel": [6],
        "breakglass_opened": ["<5"], "open_cases": [7], "totals_only": [8]}
    status = _rows(report, "by_status")
    assert status["completed"] == [7, 7]
    assert status["accepted"] == ["<5", "<5"]  # a cell of 3
    assert status["declined"] == [6, 6]
    assert status["submitted"] == [0, "<5"]
    assert _rows(report, "by_priority") == {"routine": [7, 9], "urgent": [6, 6],
                                           "green_channel": [6, 6]}
    assert _rows(report, "by_reason")["anxiety_symptoms"] == [6, 6]


def test_institution_rows_count_only_referrals_with_statistics_consent(seeded_report):
    seeded, report = seeded_report
    rows = _rows(report, "by_institution")
    assert rows[seeded.university] == ["university", 13, 0, 6]
    assert rows[seeded.hospital] == ["hospital", 0, 13, 6]
    assert rows[seeded.school] == ["middle_school", 0, 0, 0]  # its 6 are in the totals only
    assert _rows(report, "by_kind") == {"hospital": [0, 13], "middle_school": [0, 0],
                                       "university": [13, 0]}


def test_sla_timings_breakglass_cases_and_staff(seeded_report):
    seeded, report = seeded_report
    assert _rows(report, "sla") == {seeded.hospital: [6, 83.3, 66.7]}
    assert _rows(report, "timings") == {"time_to_receipt": [19, 30.0, 30.0],
                                        "time_to_decision": [19, 120.0, 240.0]}
    assert _rows(report, "breakglass") == {"opened": ["<5"], "reviewed_on_time": ["<5"],
                                           "reviewed_late": ["<5"], "overdue": ["<5"],
                                           "awaiting_review": [0]}
    assert _rows(report, "open_cases") == {"daily": [0], "key": [5], "crisis": ["<5"]}
    assert _rows(report, "staff") == {seeded.university: [12000, 4, 3000, 4000, "yes"],
                                      seeded.school: [9000, 2, 4500, 4000, "no"]}
    weekly = _rows(report, "weekly")
    assert weekly["2026-11-09"] == [13, 15] and weekly["2026-11-16"] == [6, 6]


def test_no_cell_holds_a_count_from_one_to_four_or_anything_personal(seeded_report):
    seeded, report = seeded_report
    counts = [cell for table in report.tables if table.key not in STAFF_TABLES
              for row in table.rows for cell in row]
    text = repr([t.as_dict() for t in report.tables])
    assert "<5" in counts
    assert not [c for c in counts if isinstance(c, int) and 0 < c < 5]
    for secret in [*seeded.pseudonyms, *seeded.subject_keys, "李同学", "13800000000"]:
        assert secret not in text


def test_another_region_sees_none_of_it(app, seeded_report):
    with transaction(app) as session:
        report = reports.build(session, region="r1-other", period=NOVEMBER,
                               requirements=REQUIRED)
    assert _rows(report, "summary")["referrals_sent"] == ["<5"]
    assert _rows(report, "summary")["referrals_received"] == [0]


@pytest.mark.parametrize(("kind", "first", "last"), [
    (reports.PeriodKind.WEEK, date(2026, 11, 30), date(2026, 12, 6)),
    (reports.PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31)),
    (reports.PeriodKind.TERM, date(2026, 9, 1), date(2027, 1, 31)),
])
def test_periods_around_a_day(kind, first, last):
    period = reports.resolve(kind, "Asia/Shanghai", today=date(2026, 12, 2))
    assert (period.first, period.last) == (first, last)


def test_a_month_starts_at_local_midnight():
    assert NOVEMBER.start.isoformat() == "2026-10-31T16:00:00+00:00"
    assert NOVEMBER.end.isoformat() == "2026-11-30T16:00:00+00:00"


@pytest.mark.parametrize(("first", "last"), [
    (date(2026, 11, 5), date(2026, 11, 4)), (date(2025, 1, 1), date(2026, 1, 2)), (None, None)])
def test_a_reversed_or_too_long_custom_period_is_refused(first, last):
    with pytest.raises(InvalidInput):
        reports.resolve(reports.PeriodKind.CUSTOM, "Asia/Shanghai", first=first, last=last)
