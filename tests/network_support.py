"""Helpers for the referral-network tests: request bodies and delivery set-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask

from gateway.db import transaction
from gateway.services import endpoints

SCHOOL_SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
                 "cases:read", "cases:write"]
HOSPITAL_SCOPES = ["referrals:read", "referrals:write"]


def consent_body(recipient_id: uuid.UUID, subject: str = "stu-001") -> dict:
    """A student's referral consent for ``recipient_id``, valid 30 days."""
    return {"subject_ref": subject, "grantor": "student", "purpose": "referral",
            "recipient_institution_id": str(recipient_id),
            "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()}


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
        return endpoints.configure(session, "test", format_name=format_name, url=url,
                                   institution_id=institution_id, region=region).secret
