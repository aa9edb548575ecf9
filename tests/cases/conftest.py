"""Fixtures of the case tests."""

from __future__ import annotations

import pytest

from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer


@pytest.fixture
def referred(client, make_partner, token_for, link):
    """A factory: under the given consents, a crisis case referred by green channel to a
    hospital (not yet accepted); ``.token`` and ``.hospital_token`` are the bearer headers."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    token, hospital_token = bearer(token_for(school)), bearer(token_for(hospital))

    def make(*purposes: str) -> tuple[dict, dict]:
        for purpose in purposes:
            assert client.post("/api/v1/consents", headers=token, json=consent_body(
                hospital.institution_id, purpose=purpose)).status_code == 201
        case = client.post("/api/v1/cases", json=crisis_case_body(), headers=token).get_json()
        referral = client.post("/api/v1/referrals", headers=token, json=referral_body(
            hospital.institution_id, case_id=case["id"])).get_json()
        return case, referral

    make.token, make.hospital_token = token, hospital_token
    return make
