"""Times in the admin UI: in the coordinator's region's time zone, labelled with the zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, g

from gateway.admin import bp


def region_zone() -> ZoneInfo:
    """The signed-in coordinator's region's zone (``REGION_TIME_ZONES``), else the default
    ``REGION_TIME_ZONE`` (Asia/Shanghai)."""
    coordinator = g.get("coordinator")
    region = coordinator.scope_region if coordinator is not None else None
    zones = current_app.config["REGION_TIME_ZONES"]
    return ZoneInfo(zones.get(region) or current_app.config["REGION_TIME_ZONE"])


@bp.app_template_filter("local_time")
def local_time(moment: datetime | str | None) -> str:
    """``2026-12-01 16:05:09`` in the region's zone (ISO 8601 text is read first; a naive
    moment is taken as UTC)."""
    if not moment:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(region_zone()).strftime("%Y-%m-%d %H:%M:%S")


@bp.app_context_processor
def _zone() -> dict:
    return {"time_zone": region_zone().key}
