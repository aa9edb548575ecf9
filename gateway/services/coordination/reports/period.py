"""Report periods: this week, this month, a term or custom dates, in the region's time zone.

A period is a half-open range of local calendar days ``[first, last + 1 day)``; the database is
queried with its UTC bounds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.services.errors import InvalidInput

MAX_DAYS = 366
# Chinese school terms: the spring term from 1 February, the autumn term from 1 September.
TERM_STARTS = ((2, 1), (9, 1))


class PeriodKind(enum.StrEnum):
    """How the coordinator picked the period."""

    WEEK = "week"
    MONTH = "month"
    TERM = "term"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` (both included) in ``zone``."""

    kind: PeriodKind
    first: date
    last: date
    zone: str

    @property
    def start(self) -> datetime:
        """The first instant of the period, in UTC."""
        return datetime.combine(self.first, time(), ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period, in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(),
                                ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def label(self) -> str:
        """``2026-11-01 to 2026-11-30`` (local dates)."""
        return f"{self.first.isoformat()} – {self.last.isoformat()}"  # noqa: RUF001

    def weeks(self) -> list[date]:
        """The Monday of every week that overlaps the period."""
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=n)
                for n in range((self.last - monday).days // 7 + 1)]


def _term(today: date) -> tuple[date, date]:
    starts = sorted(date(year, m, d) for year in (today.year - 1, today.year, today.year + 1)
                    for m, d in TERM_STARTS)
    first = max(s for s in starts if s <= today)
    following = min(s for s in starts if s > today)
    return first, following - timedelta(days=1)


def _month(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def resolve(kind: PeriodKind, zone: str, *, today: date | None = None,
            first: date | None = None, last: date | None = None) -> Period:
    """The period of ``kind`` around ``today`` (local), or the custom ``first``..``last``.

    For ``month`` a ``first`` date picks the month that contains it (a past month's report).
    """
    today = today or datetime.now(ZoneInfo(zone)).date()
    if kind is PeriodKind.WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period(kind, monday, monday + timedelta(days=6), zone)
    if kind is PeriodKind.MONTH:
        return Period(kind, *_month(first or today), zone)
    if kind is PeriodKind.TERM:
        return Period(kind, *_term(first or today), zone)
    if first is None or last is None:
        raise InvalidInput("A custom period needs a first and a last day.", rule="period_days")
    if last < first:
        raise InvalidInput("The last day of the period is before the first.",
                           rule="period_order")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput("A period may last at most 366 days.", rule="period_length")
    return Period(kind, first, last, zone)
