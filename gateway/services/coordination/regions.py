"""Regions as people know them: the name of a region's slug and the time zone it lives in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Institution


def name(config: Mapping, region: str | None) -> str | None:
    """The configured name of ``region`` (``REGION_NAMES``), else the slug itself."""
    return None if region is None else config["REGION_NAMES"].get(region, region)


def time_zone(config: Mapping, region: str | None) -> str:
    """The region's IANA time zone (``REGION_TIME_ZONES``), else ``DEFAULT_TIME_ZONE``."""
    return config["REGION_TIME_ZONES"].get(region, config["DEFAULT_TIME_ZONE"])


def local(config: Mapping, region: str | None, moment: datetime) -> str:
    """``moment`` as the region's local date and time, with the zone's abbreviation."""
    return moment.astimezone(ZoneInfo(time_zone(config, region))).strftime("%Y-%m-%d %H:%M %Z")


def four_eyes(config: Mapping, region: str | None) -> bool:
    """Whether a partnership touching ``region`` needs a second coordinator's approval."""
    rules = config["PARTNERSHIP_FOUR_EYES"]
    return bool(rules.get(region, rules.get("default", True)))


def known(session: Session) -> list[str]:
    """Every region that has an institution, sorted."""
    return list(session.scalars(select(Institution.region).distinct()
                                .order_by(Institution.region)))
