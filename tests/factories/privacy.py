"""Consent bodies and a student's personal data."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from tests.factories.referrals import SUBJECT_REF

ADULT = "2004-03-01"
NAME, PHONE, GUARDIAN_PHONE = "张小明", "13812345678", "13987654321"
NOTE = "Wrote a farewell letter in the dormitory; roommate alerted the counsellor."
RISK_NOTE = "Plan with means; protective factor is younger sister."


def born_years_ago(years: int, today: date | None = None) -> str:
    """A date of birth making the student ``years`` old ``today`` (birthday 10 days before).

    A birthday on 29 February falls on the 28th in years without one.
    """
    birthday = (today or date.today()) - timedelta(days=10)
    return (birthday - relativedelta(years=years)).isoformat()


def personal(birth_date: str = ADULT) -> dict:
    """Every personal category a referral can carry."""
    return {
        "identity": {"name": NAME, "date_of_birth": birth_date},
        "contact": {"phone": PHONE},
        "guardian_contact": {"name": "张父", "relationship": "father", "phone": GUARDIAN_PHONE},
        "risk_assessment": {"level": "high", "notes": RISK_NOTE},
        "school_record": {"grade": "Year 2", "notes": "Absent 9 days this month."},
        "summary": NOTE,
    }


def consent_body(recipient_id: uuid.UUID, subject: str = SUBJECT_REF,
                 purpose: str = "green_channel_referral",
                 categories: tuple[str, ...] = ("clinical_notes",), **extra: object) -> dict:
    """An adult student's consent for ``recipient_id`` (default: green-channel referral of
    clinical notes), valid 30 days; ``extra`` adds or overrides fields."""
    return {"subject_ref": subject, "grantor": "student", "purpose": purpose,
            "data_categories": list(categories), "subject_birth_date": ADULT,
            "recipient_institution_id": str(recipient_id),
            "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
