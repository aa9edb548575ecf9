"""Case rules a region keeps: review intervals per tier, key periods, approved instruments.

Read once from the app config (keys in brackets); views pass ``current_case_rules()``, worker
processes build their own with :meth:`CaseRules.from_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from gateway.models import AttentionTier

DEFAULT_INTERVAL_DAYS = {"crisis": 3, "key": 14, "daily": 30}
DEFAULT_INSTRUMENTS = {"PHQ-9": (0, 27), "GAD-7": (0, 21), "SCL-90": (90, 450)}


@dataclass(frozen=True)
class KeyPeriod:
    """A stretch of the school year that needs closer watch (重点时段), both days included."""

    name: str
    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in the period."""
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class RegionRules:
    """One region's rules."""

    interval_days: Mapping[str, float] = field(default_factory=lambda: DEFAULT_INTERVAL_DAYS)
    key_periods: tuple[KeyPeriod, ...] = ()
    key_period_factor: float = 0.5
    instruments: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: DEFAULT_INSTRUMENTS)

    def key_period_on(self, day: date) -> KeyPeriod | None:
        """The key period ``day`` falls in, if any."""
        return next((period for period in self.key_periods if period.covers(day)), None)

    def key_period_from(self, day: date) -> KeyPeriod | None:
        """The key period ``day`` falls in, else the next one to begin (None if none)."""
        ahead = sorted((p for p in self.key_periods if p.ends_on >= day),
                       key=lambda p: p.starts_on)
        return ahead[0] if ahead else None

    def review_interval(self, tier: AttentionTier, moment: datetime) -> timedelta:
        """Time until the next review of a case of ``tier`` reviewed at ``moment``."""
        interval = timedelta(days=float(self.interval_days[tier.value]))
        if self.key_period_on(moment.date()) is not None:
            interval *= self.key_period_factor
        return interval


@dataclass(frozen=True)
class CaseRules:
    """Rules of every region, with a default for regions not named."""

    default: RegionRules = RegionRules()
    regions: Mapping[str, RegionRules] = field(default_factory=dict)

    def of(self, region: str) -> RegionRules:
        """The rules of ``region``."""
        return self.regions.get(region, self.default)

    @classmethod
    def from_config(cls, config: Mapping) -> CaseRules:
        """Build from ``CASE_RULES``: region (or ``default``) → ``review_interval_days``
        (tier → days), ``key_periods`` ([name, first day, last day]), ``key_period_factor``
        and ``instruments`` (name → [lowest, highest score])."""
        raw = dict(config.get("CASE_RULES") or {})
        default = _region(raw.pop("default", {}), RegionRules())
        return cls(default, {name: _region(values, default) for name, values in raw.items()})


def _region(values: Mapping, base: RegionRules) -> RegionRules:
    intervals = {**base.interval_days, **values.get("review_interval_days", {})}
    if set(intervals) != {tier.value for tier in AttentionTier} or min(intervals.values()) <= 0:
        raise ValueError("review intervals need a positive number of days for every tier")
    factor = float(values.get("key_period_factor", base.key_period_factor))
    if not 0 < factor <= 1:
        raise ValueError("a key period factor shortens intervals: 0 < factor <= 1")
    periods = tuple(KeyPeriod(name, date.fromisoformat(first), date.fromisoformat(last))
                    for name, first, last in values.get("key_periods", ()))
    if any(p.ends_on < p.starts_on for p in periods):
        raise ValueError("a key period ends on or after its first day")
    instruments = {name: (int(low), int(high))
                   for name, (low, high) in values.get("instruments", {}).items()}
    return RegionRules(intervals, periods or base.key_periods, factor,
                       instruments or base.instruments)
