"""Helpers for the referral-network tests: request bodies and delivery set-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask

from gateway.db import transaction
from gateway.services.network import endpoints
from tests.support import TESTER

SCHOOL_SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
                 "cases:read", "cases:write"]
HOSPITAL_SCOPES = ["referrals:read", "referrals:write"]


ADULT = "2004-03-01"


def consent_body(recipient_id: uuid.UUID, subject: str = "stu-001",
                 purpose: str = "green_channel_referral",
                 categories: tuple[str, ...] = ("clinical_notes",)) -> dict:
    """An adult student's consent for ``recipient_id`` (default: green-channel referral of
    clinical notes), valid 30 days."""
    return {"subject_ref": subject, "grantor": "student", "purpose": purpose,
            "data_categories": list(categories), "subject_birth_date": ADULT,
            "recipient_institution_id": str(recipient_id),
            "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}


def grant_consents(client, headers: dict, recipient_id: uuid.UUID,
                   subject: str = "stu-001") -> None:
    """Consents to refer ``subject`` by green channel and to hear back the outcome."""
    for purpose in ("green_channel_referral", "follow_up"):
        response = client.post("/api/v1/consents", headers=headers,
                               json=consent_body(recipient_id, subject, purpose))
        assert response.status_code == 201, response.get_json()


def referral_body(recipient_id: uuid.UUID, subject: str = "stu-001", **extra: object) -> dict:
    """A green-channel referral for ``subject``."""
    return {"recipient_institution_id": str(recipient_id), "subject_ref": subject,
            "priority": "green_channel", "reason": "suicide_risk",
            "summary": "Student expressed a plan; dormitory officer escalated.", **extra}


def crisis_case_body(subject: str = "stu-001", **extra: object) -> dict:
    """A crisis reported at the dormitory, with leader, team and plan."""
    return {"subject_ref": subject, "attention_tier": "crisis", "reported_level": "dormitory",
            "reporter_role": "dormitory_officer", "leader": "Deputy head Wang",
            "team": ["counsellor Li", "class teacher Zhao"],
            "plan": "24h watch; parents informed; green-channel referral.", **extra}


def set_endpoint(app: Flask, format_name: str, url: str, *,
                 institution_id: uuid.UUID | None = None, region: str | None = None) -> str:
    """Configure a push endpoint; returns its signing secret."""
    with transaction(app) as session:
        return endpoints.configure(session, TESTER, format_name=format_name, url=url,
                                   institution_id=institution_id, region=region).secret
