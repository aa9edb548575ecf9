"""Report tables and small-cell suppression.

Every count of referrals, releases or cases goes through :func:`count`: 1 to 4 become the text
``"<5"`` before a table is built, so no page, file or API answer can carry the true number. A
zero stays 0 (nobody can be singled out from nothing). A rate, median or percentile measured on
fewer than 5 items is left out (``None``, shown as "—") for the same reason.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

SMALL = "<5"
THRESHOLD = 5

Cell = int | float | str | None


def count(n: int) -> int | str:
    """A count as it may be shown: 0, ``"<5"`` for 1 to 4, else the number."""
    return SMALL if 0 < n < THRESHOLD else n


def percent(hits: int, base: int) -> float | None:
    """``hits`` of ``base`` in per cent (one decimal), or None when ``base`` is under 5."""
    return round(100 * hits / base, 1) if base >= THRESHOLD else None


def quantiles(values: list[float]) -> tuple[float | None, float | None]:
    """Median and 90th percentile (one decimal), or Nones for fewer than 5 values."""
    if len(values) < THRESHOLD:
        return None, None
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1]
    return round(statistics.median(ordered), 1), round(p90, 1)


@dataclass(frozen=True)
class Column:
    """A column, by its key (the UI labels it); ``codes`` names the code list of its cells."""

    key: str
    codes: str | None = None


@dataclass
class Table:
    """One section of a report; ``rows`` hold cells already suppressed."""

    key: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str | None = None

    def add(self, *cells: Cell) -> None:
        """Append a row (cells in column order)."""
        self.rows.append(list(cells))

    def as_dict(self) -> dict:
        """Rows as objects keyed by column key (the API's shape)."""
        keys = [c.key for c in self.columns]
        return {"key": self.key, "note": self.note,
                "rows": [dict(zip(keys, row, strict=True)) for row in self.rows]}
