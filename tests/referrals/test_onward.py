"""Onward referral over HTTP: a counselling agency refers a student on to a psychiatric
hospital; the new referral is based on the first, consent is checked again for the new
recipient (only what it releases travels), and the first sender sees the chain."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, Referral
from tests.network_support import ADULT, HOSPITAL_SCOPES, SCHOOL_SCOPES, consent_body, referral_body
from tests.support import bearer

NAME = "李同学"


@pytest.fixture
def chain(client, make_partner, token_for, link):
    """School → agency (accepted); the agency may refer to a psychiatric hospital."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    agency = make_partner("counselling_agency", scopes=HOSPITAL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, agency, "referral")
    link(agency, hospital, "referral")
    tokens = {name: bearer(token_for(p)) for name, p in
              (("school", school), ("agency", agency), ("hospital", hospital))}
    client.post("/api/v1/consents", headers=tokens["school"], json=consent_body(
        agency.institution_id, purpose="referral", categories=("clinical_notes", "identity")))
    first = client.post("/api/v1/referrals", headers=tokens["school"], json=referral_body(
        agency.institution_id, priority="urgent",
        identity={"name": NAME, "date_of_birth": ADULT})).get_json()
    for status in ("received", "accepted"):
        moved = client.post(f"/api/v1/referrals/{first['id']}/transitions",
                            headers=tokens["agency"], json={"status": status})
        assert moved.status_code == 200, moved.get_json()

    class Chain:
        pass

    scene = Chain()
    scene.school, scene.agency, scene.hospital = school, agency, hospital
    scene.tokens, scene.first = tokens, first
    return scene


def _onward(client, scene, referral_id: str | None = None, caller: str = "agency",
            categories: tuple[str, ...] = ("clinical_notes",)):
    return client.post(f"/api/v1/referrals/{referral_id or scene.first['id']}/onward",
                       headers=scene.tokens[caller], json={
                           "recipient_institution_id": str(scene.hospital.institution_id),
                           "priority": "urgent", "reason": "suicide_risk",
                           "data_categories": list(categories),
                           "summary": "Needs inpatient assessment; agency sessions not enough."})


def test_onward_needs_consent_for_the_new_recipient_and_carries_only_what_it_releases(
        app, client, chain, row_count):
    before = row_count("referrals")
    refused = _onward(client, chain)
    assert refused.status_code == 403
    problem = refused.get_json()
    assert problem["type"].endswith("consent-required") and problem["missing_consent"]
    assert row_count("referrals") == before  # nothing half-written

    granted = client.post("/api/v1/consents", headers=chain.tokens["school"], json=consent_body(
        chain.hospital.institution_id, purpose="referral", categories=("clinical_notes",)))
    assert granted.status_code == 201
    with_name = _onward(client, chain, categories=("clinical_notes", "identity"))
    assert with_name.status_code == 403  # the consent does not release identity
    assert with_name.get_json()["missing_consent"]["data_categories"] == ["identity"]
    assert row_count("referrals") == before
    created = _onward(client, chain)
    assert created.status_code == 201, created.get_json()
    onward = created.get_json()
    assert onward["based_on_id"] == chain.first["id"]
    assert onward["sender_institution_id"] == str(chain.agency.institution_id)
    assert onward["status"] == "submitted"

    seen = client.get(f"/api/v1/referrals/{onward['id']}", headers=chain.tokens["hospital"])
    assert seen.status_code == 200
    view = seen.get_json()
    assert view["summary"].startswith("Needs inpatient assessment")
    assert "identity" not in view and view["released_categories"] == ["clinical_notes"]
    assert view["subject_pseudonym"] != chain.first["subject_pseudonym"]
    with transaction(app) as session:
        stored = session.get(Referral, uuid.UUID(onward["id"]))
        assert stored.personal_data is None  # the name never left the agency
        assert stored.subject_holder_id == chain.school.institution_id
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "referral.created",
            AuditEntry.object_id == onward["id"])).one()
        assert audited.detail["based_on"] == chain.first["id"]
        assert audited.consent_id == granted.get_json()["id"]
    assert NAME not in str(view)


def test_the_first_sender_sees_the_chain_others_only_their_links(client, chain, make_partner,
                                                                token_for):
    client.post("/api/v1/consents", headers=chain.tokens["school"], json=consent_body(
        chain.hospital.institution_id, purpose="referral"))
    onward = _onward(client, chain).get_json()

    seen = client.get(f"/api/v1/referrals/{chain.first['id']}/chain",
                      headers=chain.tokens["school"])
    assert seen.status_code == 200
    links = seen.get_json()
    assert [(link["id"], link["based_on_id"]) for link in links] == [
        (chain.first["id"], None), (onward["id"], chain.first["id"])]
    assert links[1]["recipient_institution_id"] == str(chain.hospital.institution_id)
    assert set(links[1]) == {"id", "based_on_id", "sender_institution_id",
                             "recipient_institution_id", "priority", "status", "created_at",
                             "submitted_at"}  # no personal data
    from_the_end = client.get(f"/api/v1/referrals/{onward['id']}/chain",
                              headers=chain.tokens["school"]).get_json()
    assert [link["id"] for link in from_the_end] == [chain.first["id"], onward["id"]]

    hospital_view = client.get(f"/api/v1/referrals/{onward['id']}/chain",
                               headers=chain.tokens["hospital"]).get_json()
    assert [link["id"] for link in hospital_view] == [onward["id"]]  # not the school's link
    stranger = make_partner("university", scopes=SCHOOL_SCOPES)
    assert client.get(f"/api/v1/referrals/{onward['id']}/chain",
                      headers=bearer(token_for(stranger))).status_code == 404
    assert client.get(f"/api/v1/referrals/{uuid.uuid4()}/chain",
                      headers=chain.tokens["school"]).status_code == 404


def test_only_the_recipient_of_an_accepted_referral_refers_onward(client, chain):
    client.post("/api/v1/consents", headers=chain.tokens["school"], json=consent_body(
        chain.hospital.institution_id, purpose="referral"))
    assert _onward(client, chain, caller="school").status_code == 403  # the sender
    pending = client.post("/api/v1/referrals", headers=chain.tokens["school"], json=referral_body(
        chain.agency.institution_id, priority="urgent")).get_json()
    early = _onward(client, chain, referral_id=pending["id"])
    assert early.status_code == 409  # not accepted yet
    back_to_school = client.post(f"/api/v1/referrals/{chain.first['id']}/onward",
                                 headers=chain.tokens["agency"], json={
                                     "recipient_institution_id": str(chain.school.institution_id),
                                     "priority": "urgent", "reason": "suicide_risk",
                                     "data_categories": ["clinical_notes"]})
    assert back_to_school.status_code == 422
