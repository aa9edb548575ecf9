"""When a case's next review falls due, and which assessments a region accepts."""

from __future__ import annotations

from datetime import datetime

from gateway.models import AttentionTier
from gateway.services.cases.rules import RegionRules
from gateway.services.errors import InvalidInput


def next_review(rules: RegionRules, tier: AttentionTier, reviewed_at: datetime) -> datetime:
    """The next review after one at ``reviewed_at``: the tier's interval, shorter in key periods."""
    return reviewed_at + rules.review_interval(tier, reviewed_at)


def check_instrument(rules: RegionRules, instrument: str, score: int | None) -> None:
    """Refuse an instrument the region has not approved, or a score outside its range."""
    if instrument not in rules.instruments:
        raise InvalidInput("The region has not approved this instrument.",
                           approved_instruments=sorted(rules.instruments))
    low, high = rules.instruments[instrument]
    if score is not None and not low <= score <= high:
        raise InvalidInput(f"A {instrument} score lies between {low} and {high}.",
                           score_range=[low, high])
