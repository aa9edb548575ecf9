"""Per-region settings read from config: the region's time zone (times are shown in it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo


def zone(config: Mapping, region: str | None) -> ZoneInfo:
    """The time zone of ``region`` (``REGION_TIME_ZONES``; ``default`` for others)."""
    zones = config["REGION_TIME_ZONES"]
    return ZoneInfo(zones.get(region or "", zones["default"]))


def local(config: Mapping, region: str | None, moment: datetime) -> str:
    """``moment`` as the region's local date and time, with the zone's abbreviation."""
    return moment.astimezone(zone(config, region)).strftime("%Y-%m-%d %H:%M %Z")
