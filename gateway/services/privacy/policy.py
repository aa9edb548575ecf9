"""Privacy policy settings the consent engine applies, read once from the app config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from gateway.models import Grantor


@dataclass(frozen=True)
class AgeRule:
    """Below ``guardian_only_below`` only a guardian may consent; from ``adult_from`` the student.

    In between, both the student and a guardian must consent.
    """

    guardian_only_below: int = 14
    adult_from: int = 18

    def __post_init__(self) -> None:
        if not 0 <= self.guardian_only_below <= self.adult_from:
            raise ValueError("an age rule needs 0 <= guardian_only_below <= adult_from")

    def required_grantors(self, age: int | None) -> frozenset[Grantor]:
        """Whose consent is needed for a subject of ``age`` (unknown age: both)."""
        if age is not None and age >= self.adult_from:
            return frozenset({Grantor.STUDENT})
        if age is not None and age < self.guardian_only_below:
            return frozenset({Grantor.GUARDIAN})
        return frozenset({Grantor.STUDENT, Grantor.GUARDIAN})


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on ``day``."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class Policy:
    """Network-wide privacy settings (config keys in brackets)."""

    network_country: str = "CN"  # NETWORK_COUNTRY
    default_age_rule: AgeRule = AgeRule()
    regional_age_rules: Mapping[str, AgeRule] = field(default_factory=dict)  # CONSENT_AGE_RULES
    breakglass_access: timedelta = timedelta(hours=4)  # BREAKGLASS_ACCESS_HOURS
    breakglass_review_within: timedelta = timedelta(hours=72)  # BREAKGLASS_REVIEW_HOURS
    breakglass_daily_limit: int = 3  # BREAKGLASS_DAILY_LIMIT (per institution, rolling 24 h)

    def age_rule(self, region: str) -> AgeRule:
        """The minors rule of ``region``, or the network default."""
        return self.regional_age_rules.get(region, self.default_age_rule)

    @classmethod
    def from_config(cls, config: Mapping) -> Policy:
        """Build from Flask config; ``CONSENT_AGE_RULES`` maps region → [guardian_only_below,
        adult_from], with the key ``default`` for the network default."""
        rules = {region: AgeRule(int(pair[0]), int(pair[1]))
                 for region, pair in (config.get("CONSENT_AGE_RULES") or {}).items()}
        default = rules.pop("default", AgeRule())
        policy = cls(
            network_country=config.get("NETWORK_COUNTRY", "CN"),
            default_age_rule=default,
            regional_age_rules=rules,
            breakglass_access=timedelta(hours=float(config.get("BREAKGLASS_ACCESS_HOURS", 4))),
            breakglass_review_within=timedelta(
                hours=float(config.get("BREAKGLASS_REVIEW_HOURS", 72))),
            breakglass_daily_limit=int(config.get("BREAKGLASS_DAILY_LIMIT", 3)),
        )
        if policy.breakglass_access <= timedelta(0) or policy.breakglass_daily_limit < 0:
            raise ValueError("break-glass access must be positive and its limit not negative")
        return policy
