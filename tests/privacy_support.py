"""Helpers for the privacy tests: consent and referral bodies, and a two-party scene."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from gateway.services.minimise import PERSONAL_FIELDS
from tests.support import Partner, bearer

ADULT = "2004-03-01"
NAME, PHONE, GUARDIAN_PHONE = "张小明", "13812345678", "13987654321"
NOTE = "Wrote a farewell letter in the dormitory; roommate alerted the counsellor."
RISK_NOTE = "Plan with means; protective factor is younger sister."


def born_years_ago(years: int) -> str:
    """A date of birth making the student ``years`` old today (birthday 10 days ago)."""
    today = date.today() - timedelta(days=10)
    return today.replace(year=today.year - years).isoformat()


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


def personal_keys(body: dict) -> set[str]:
    """The personal fields present in a referral view."""
    return set(body) & PERSONAL_FIELDS


@dataclass
class Scene:
    """A university (sender) and a hospital (recipient) with a referral partnership."""

    client: object
    uni: Partner
    hosp: Partner
    uni_token: str
    hosp_token: str

    def consent(self, categories=("identity", "clinical_notes"), *, grantor="student",
                purpose="referral", birth_date=ADULT, subject="stu-001", recipient=None,
                token=None, **extra):
        body = {"subject_ref": subject, "grantor": grantor, "purpose": purpose,
                "data_categories": list(categories),
                "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **extra}
        if birth_date:
            body["subject_birth_date"] = birth_date
        if "recipient_kinds" not in extra:
            body["recipient_institution_id"] = str(recipient or self.hosp.institution_id)
        return self.client.post("/api/v1/consents", json=body,
                                headers=bearer(token or self.uni_token))

    def refer(self, categories=("identity", "summary"), *, priority="routine", subject="stu-001",
              birth_date=ADULT, recipient=None, token=None, **extra):
        data = personal(birth_date)
        body = {"recipient_institution_id": str(recipient or self.hosp.institution_id),
                "subject_ref": subject, "priority": priority, "reason": "suicide_risk",
                **{name: data[name] for name in categories}, **extra}
        return self.client.post("/api/v1/referrals", json=body,
                                headers=bearer(token or self.uni_token))

    def read(self, referral_id, token=None):
        return self.client.get(f"/api/v1/referrals/{referral_id}",
                               headers=bearer(token or self.hosp_token))

    def revoke(self, consent_id, token=None):
        return self.client.post(f"/api/v1/consents/{consent_id}/revoke",
                                json={"reason": "student withdrew"},
                                headers=bearer(token or self.uni_token))


def make_scene(client, make_partner, token_for, link, *, hospital_scopes=None,
               university_scopes=None) -> Scene:
    """Register the two partners, link them for referrals and get their tokens."""
    uni = make_partner("university", scopes=university_scopes)
    hosp = make_partner("hospital", scopes=hospital_scopes or ["referrals:read",
                                                               "referrals:write"])
    link(uni, hosp, "referral")
    return Scene(client, uni, hosp, token_for(uni), token_for(hosp))
