"""Refusals of the partner API: each a problem+json that leaks nothing and leaves no row behind."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.factories.referrals import SUBJECT_REF, SUMMARY, referral_body
from tests.support import assert_no_personal_data, assert_problem, bearer


@pytest.fixture
def unchanged(nothing_written) -> Callable[[], None]:
    """Snapshot every table now; calling the result asserts that nothing was written since
    (but the refusal's security event)."""
    return nothing_written()


def test_another_hospital_cannot_read_a_referral_and_cannot_tell_it_exists(
        client, referral, make_partner, token_for, table_counts):
    other = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    token = bearer(token_for(other))
    before = table_counts()
    response = client.get(f"/api/v1/referrals/{referral['id']}", headers=token)
    body = assert_problem(response, 404, slug="not-found")
    assert_no_personal_data(response)
    missing = client.get(f"/api/v1/referrals/{uuid.uuid4()}", headers=token)
    # the same answer but for the request id, which is each request's own
    assert {**missing.get_json(), "request_id": None} == {**body, "request_id": None}
    assert table_counts() == before
    inbox = client.get("/api/v1/referrals?box=inbox", headers=token).get_json()
    assert inbox["items"] == []


def test_another_hospital_cannot_transition_a_referral(client, pair, referral, make_partner,
                                                      token_for, table_counts):
    other = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    token = bearer(token_for(other))
    before = table_counts()
    response = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                           json={"status": "accepted"}, headers=token)
    assert_problem(response, 404, slug="not-found")
    assert_no_personal_data(response)
    assert table_counts() == before
    seen = client.get(f"/api/v1/referrals/{referral['id']}", headers=bearer(pair.hosp_token))
    assert seen.get_json()["status"] == "submitted"


def test_referral_without_consent_is_refused_naming_only_purpose_and_recipient(
        pair, send_referral, unchanged):
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    body = assert_problem(response, 403, slug="consent-required")
    assert body["missing_consent"] == {
        "grantors": ["guardian", "student"],
        "purpose": "green_channel_referral",
        "recipient_institution_id": str(pair.hospital.institution_id),
    }
    assert_no_personal_data(response)
    unchanged()


def test_consent_for_another_student_does_not_cover_a_referral(pair, grant_consent,
                                                              send_referral, row_count):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id,
                         subject="stu-other").status_code == 201
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert_problem(response, 403, slug="consent-required")
    assert row_count("referrals") == 0


def test_referral_after_the_consent_was_revoked_is_refused(client, pair, grant_consent,
                                                           send_referral, nothing_written):
    consent = grant_consent(pair.uni_token, pair.hospital.institution_id).get_json()
    first = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert first.status_code == 201
    revoked = client.post(f"/api/v1/consents/{consent['id']}/revoke",
                          json={"reason": "student withdrew consent"},
                          headers=bearer(pair.uni_token))
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    unchanged = nothing_written()
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert_problem(response, 403, slug="consent-required")
    assert_no_personal_data(response)
    unchanged()


def test_referral_without_an_active_partnership_is_refused(client, make_partner, token_for,
                                                          grant_consent, send_referral,
                                                          table_counts):
    university = make_partner("university")
    hospital = make_partner("hospital", scopes=["referrals:read"])
    token = token_for(university)
    assert grant_consent(token, hospital.institution_id).status_code == 201
    before = table_counts()
    response = send_referral(token, hospital.institution_id)
    body = assert_problem(response, 403, slug="forbidden")
    assert body["missing_partnership"] == {"exchange": "referral"}
    assert_no_personal_data(response)
    assert table_counts() == before


def test_malformed_json_is_a_problem(client, pair, unchanged):
    response = client.post("/api/v1/referrals", data='{"subject_ref": "stu-2024-0042",',
                           content_type="application/json", headers=bearer(pair.uni_token))
    assert_problem(response, 400)
    assert_no_personal_data(response, SUBJECT_REF)
    unchanged()


def test_unknown_field_is_refused_by_name(client, pair, grant_consent, send_referral, row_count):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    audit_before = row_count("audit_entries")
    response = send_referral(pair.uni_token, pair.hospital.institution_id, student_name="Li Hua")
    body = assert_problem(response, 422)
    assert body["errors"] == {"json": {"student_name": ["Unknown field."]}}
    assert_no_personal_data(response, SUBJECT_REF, SUMMARY, "Li Hua")
    assert row_count("referrals") == 0
    assert row_count("audit_entries") == audit_before


def test_validation_errors_list_every_bad_field(client, pair, unchanged):
    body = referral_body(pair.hospital.institution_id, subject="stu 0042 !", priority="asap")
    del body["reason"]
    response = client.post("/api/v1/referrals", json=body, headers=bearer(pair.uni_token))
    problem = assert_problem(response, 422)
    assert set(problem["errors"]["json"]) == {"subject_ref", "priority", "reason"}
    assert_no_personal_data(response, "stu 0042 !", SUMMARY)
    unchanged()


def test_oversized_body_is_413(client, app, pair, unchanged):
    summary = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/v1/referrals",
                           json=referral_body(pair.hospital.institution_id, summary=summary),
                           headers=bearer(pair.uni_token))
    assert_problem(response, 413)
    assert_no_personal_data(response, SUBJECT_REF)
    unchanged()


def test_oversized_token_request_is_413(client, app, make_partner, table_counts):
    partner = make_partner("university")
    form = {**partner.token_form(), "padding": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    before = table_counts()
    response = client.post("/oauth/token", data=form)
    assert_problem(response, 413)
    assert table_counts() == before


def test_counselling_agency_may_not_send_a_diagnosis(make_partner, link, token_for,
                                                     grant_consent, send_referral, table_counts):
    agency = make_partner("counselling_agency")
    hospital = make_partner("hospital", scopes=["referrals:read"])
    link(agency, hospital, "referral")
    token = token_for(agency)
    assert grant_consent(token, hospital.institution_id).status_code == 201
    before = table_counts()
    response = send_referral(token, hospital.institution_id, diagnosis_code="F32.1")
    assert_problem(response, 403, slug="diagnosis-reserved")
    assert_no_personal_data(response)
    assert table_counts() == before
    assert send_referral(token, hospital.institution_id).status_code == 201


def test_counselling_agency_may_not_report_a_diagnosis_on_completion(
        client, make_partner, link, token_for, grant_consent, send_referral, table_counts):
    university = make_partner("university")
    agency = make_partner("counselling_agency", scopes=["referrals:read", "referrals:write"])
    link(university, agency, "referral")
    uni, agency_token = token_for(university), bearer(token_for(agency))
    assert grant_consent(uni, agency.institution_id).status_code == 201
    sent = send_referral(uni, agency.institution_id).get_json()
    url = f"/api/v1/referrals/{sent['id']}/transitions"
    assert client.post(url, json={"status": "accepted"}, headers=agency_token).status_code == 200
    before = table_counts()
    response = client.post(url, json={"status": "completed", "diagnosis_code": "F41.1"},
                           headers=agency_token)
    assert_problem(response, 403, slug="diagnosis-reserved")
    assert table_counts() == before


def test_another_institution_cannot_read_or_revoke_a_consent(client, pair, grant_consent,
                                                             make_partner, token_for,
                                                             table_counts):
    consent = grant_consent(pair.uni_token, pair.hospital.institution_id).get_json()
    other = bearer(token_for(make_partner("university")))
    before = table_counts()
    read = client.get(f"/api/v1/consents/{consent['id']}", headers=other)
    assert_problem(read, 404, slug="not-found")
    revoke = client.post(f"/api/v1/consents/{consent['id']}/revoke", json={"reason": "x"},
                         headers=other)
    assert_problem(revoke, 404, slug="not-found")
    assert table_counts() == before
    own = client.get(f"/api/v1/consents/{consent['id']}", headers=bearer(pair.uni_token))
    assert own.get_json()["revoked_at"] is None


def test_referral_to_an_institution_that_does_not_treat_is_refused(
        make_partner, link, token_for, grant_consent, send_referral, table_counts):
    university, school = make_partner("university"), make_partner("middle_school")
    link(university, school, "referral")
    token = token_for(university)
    assert grant_consent(token, school.institution_id).status_code == 201
    before = table_counts()
    response = send_referral(token, school.institution_id)
    assert_problem(response, 422, slug="invalid-input")
    assert_no_personal_data(response)
    assert table_counts() == before


def test_a_wrong_method_is_405_with_allow(client):
    """Issue 16, defect 7 (RFC 9110 §15.5.6): a 405 lists the allowed methods."""
    response = client.delete("/api/v1/referrals")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_json_sent_as_text_plain_is_415(client, make_partner, token_for):
    """Issue 16, defect 7: not a 422 listing every field as missing."""
    partner = make_partner("university")
    response = client.post("/api/v1/consents", data='{"purpose": "referral"}',
                           content_type="text/plain", headers=bearer(token_for(partner)))
    assert_problem(response, 415)
