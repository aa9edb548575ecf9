"""Onward referral over REST (``POST /api/v1/referrals/{id}/onward``), on the same model as
FHIR's ``partOf``: the recipient refers on as a new referral of its own, consent is checked again
for the new recipient, and the first sender sees the chain (no personal data) in its read."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, Referral
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, grant_consents
from tests.support import assert_problem, bearer

LOCAL_REF = "agency-0042"  # the agency's own reference for the student
LINK_KEYS = {"id", "part_of_id", "sender_institution_id", "recipient_institution_id",
             "priority", "status", "created_at", "submitted_at"}


@pytest.fixture
def chain(client, make_partner, token_for, link):
    """School → counselling agency (accepted); the agency may refer on to a hospital."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    agency = make_partner("counselling_agency", scopes=[*HOSPITAL_SCOPES, "consents:write"])
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, agency, "referral")
    link(agency, hospital, "referral")
    tokens = {name: bearer(token_for(p)) for name, p in
              (("school", school), ("agency", agency), ("hospital", hospital))}
    grant_consents(client, tokens["school"], agency.institution_id)
    first = client.post("/api/v1/referrals", headers=tokens["school"],
                        json=referral_body(agency.institution_id)).get_json()
    moved = client.post(f"/api/v1/referrals/{first['id']}/transitions",
                        headers=tokens["agency"], json={"status": "accepted"})
    assert moved.status_code == 200, moved.get_json()
    return school, agency, hospital, tokens, first


def _onward(client, tokens, parent_id: str, recipient_id, caller: str = "agency"):
    return client.post(f"/api/v1/referrals/{parent_id}/onward", headers=tokens[caller],
                       json=referral_body(recipient_id, subject=LOCAL_REF,
                                          summary="Needs inpatient assessment."))


def test_onward_needs_consent_for_the_new_recipient_then_links_the_first(app, client, chain,
                                                                        row_count):
    _school, agency, hospital, tokens, first = chain
    before = row_count("referrals")
    refused = assert_problem(_onward(client, tokens, first["id"], hospital.institution_id),
                             403, "consent-required")
    assert refused["missing_consent"]["recipient_institution_id"] == str(hospital.institution_id)
    assert row_count("referrals") == before  # nothing half-written

    granted = client.post("/api/v1/consents", headers=tokens["agency"], json=consent_body(
        hospital.institution_id, subject=LOCAL_REF))
    assert granted.status_code == 201, granted.get_json()
    created = _onward(client, tokens, first["id"], hospital.institution_id)
    assert created.status_code == 201, created.get_json()
    onward = created.get_json()
    assert onward["part_of_id"] == first["id"]
    assert onward["sender_institution_id"] == str(agency.institution_id)
    assert onward["status"] == "submitted"
    assert created.headers["Location"] == f"/api/v1/referrals/{onward['id']}"
    with transaction(app) as session:
        stored = session.get(Referral, uuid.UUID(onward["id"]))
        assert stored.consent_id == uuid.UUID(granted.get_json()["id"])
        assert session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == onward["id"])).first() == "referral.created"

    seen = client.get(f"/api/v1/referrals/{first['id']}", headers=tokens["school"]).get_json()
    assert [link["id"] for link in seen["onward_referrals"]] == [onward["id"]]
    (shown,) = seen["onward_referrals"]
    assert set(shown) == LINK_KEYS  # no personal data in a link
    assert shown["recipient_institution_id"] == str(hospital.institution_id)
    assert shown["part_of_id"] == first["id"]
    at_the_hospital = client.get(f"/api/v1/referrals/{onward['id']}",
                                 headers=tokens["hospital"]).get_json()
    assert at_the_hospital["onward_referrals"] == []
    assert client.get(f"/api/v1/referrals/{first['id']}",
                      headers=tokens["hospital"]).status_code == 404  # not its referral
    assert LOCAL_REF not in str(seen)
    with transaction(app) as session:
        read = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "referral.read",
            AuditEntry.object_id == first["id"])).all()[-1]
        assert read.detail["onward"] == [onward["id"]]


def test_only_the_recipient_refers_onward_and_unknown_bodies_are_refused(client, chain,
                                                                        row_count):
    _school, _agency, hospital, tokens, first = chain
    before = row_count("referrals")
    assert_problem(_onward(client, tokens, first["id"], hospital.institution_id,
                           caller="school"), 403)
    assert _onward(client, tokens, str(uuid.uuid4()), hospital.institution_id).status_code == 404
    with_case = client.post(f"/api/v1/referrals/{first['id']}/onward", headers=tokens["agency"],
                            json={**referral_body(hospital.institution_id, subject=LOCAL_REF),
                                  "case_id": str(uuid.uuid4())})
    assert with_case.status_code == 422
    no_recipient = referral_body(hospital.institution_id, subject=LOCAL_REF)
    del no_recipient["recipient_institution_id"]
    assert client.post(f"/api/v1/referrals/{first['id']}/onward", headers=tokens["agency"],
                       json=no_recipient).status_code == 422
    assert row_count("referrals") == before
