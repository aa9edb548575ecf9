"""Case request bodies."""

from __future__ import annotations

from tests.factories.referrals import SUBJECT_REF


def crisis_case_body(subject: str = SUBJECT_REF, **extra: object) -> dict:
    """A crisis reported at the dormitory, with leader, team and plan."""
    return {"subject_ref": subject, "attention_tier": "crisis", "reported_level": "dormitory",
            "reporter_role": "dormitory_officer", "leader": "Deputy head Wang",
            "team": ["counsellor Li", "class teacher Zhao"],
            "plan": "24h watch; parents informed; green-channel referral.", **extra}
