"""Times in the admin UI: shown in the coordinator's region's time zone, labelled with it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g

from gateway.services.coordination import regions


def zone() -> ZoneInfo:
    """The signed-in coordinator's region's zone; the default zone for an admin or nobody."""
    coordinator = g.get("coordinator")
    region = coordinator.scope_region if coordinator is not None else None
    return ZoneInfo(regions.time_zone(current_app.config, region))


def local(value: datetime | None, seconds: bool = False) -> str:
    """``2026-11-09 09:00`` in the region's zone (an empty string for no time)."""
    if value is None:
        return ""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def zone_label() -> str:
    """The zone as a label: ``UTC+08:00`` (its offset now) — plain in both languages."""
    offset = datetime.now(zone()).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def init_local_time(app: Flask) -> None:
    """Register the ``local`` filter and the ``zone_label`` template variable."""
    app.jinja_env.filters["local"] = local
    app.context_processor(lambda: {"zone_label": zone_label()})
