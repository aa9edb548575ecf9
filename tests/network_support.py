"""Helpers for the referral-network tests: scopes, consents for a referral, delivery set-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask

from gateway.db import transaction
from gateway.delivery.worker import delivery_policy
from gateway.services.network import endpoints
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF
from tests.support import TESTER, Partner

SCHOOL_SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
                 "cases:read", "cases:write"]
HOSPITAL_SCOPES = ["referrals:read", "referrals:write"]


@dataclass(frozen=True)
class Linked:
    """A university (with case scopes) and a hospital in a referral partnership."""

    school: Partner
    hospital: Partner
    school_headers: dict
    hospital_headers: dict


def grant_consents(client, headers: dict, recipient_id: uuid.UUID,
                   subject: str = SUBJECT_REF) -> None:
    """Consents to refer ``subject`` by green channel and to hear back the outcome."""
    for purpose in ("green_channel_referral", "follow_up"):
        response = client.post("/api/v1/consents", headers=headers,
                               json=consent_body(recipient_id, subject, purpose))
        assert response.status_code == 201, response.get_json()


def set_endpoint(app: Flask, format_name: str, url: str, *,
                 institution_id: uuid.UUID | None = None, region: str | None = None) -> str:
    """Configure a push endpoint; returns its signing secret."""
    with transaction(app) as session:
        return endpoints.configure(session, TESTER, format_name=format_name, url=url,
                                   institution_id=institution_id, region=region,
                                   policy=delivery_policy(app.config)).secret
