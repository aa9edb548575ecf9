"""Responses that carry personal data are never stored by a cache: API, FHIR, admin, files,
and the problems that answer a refused request."""

from __future__ import annotations

from tests.admin_support import make_account, sign_in
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer

PDF = b"%PDF-1.7\n% assessment\n%%EOF\n"


def test_every_personal_response_says_no_store(app, client, make_partner, token_for, link):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    sender, recipient = bearer(token_for(school)), bearer(token_for(hospital))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id), headers=sender)
    rid = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id),
                      headers=sender).get_json()["id"]
    attachment = client.post(f"/api/v1/referrals/{rid}/attachments?filename=a.pdf", data=PDF,
                             content_type="application/pdf", headers=sender).get_json()["id"]
    responses = {
        "referral": client.get(f"/api/v1/referrals/{rid}", headers=recipient),
        "inbox": client.get("/api/v1/referrals", headers=recipient),
        "attachment": client.get(f"/api/v1/referrals/{rid}/attachments/{attachment}",
                                 headers=recipient),
        "fhir task": client.get(f"/fhir/R4/Task/{rid}", headers=recipient),
        "fhir outcome": client.get("/fhir/R4/Task/nope", headers=recipient),
        "problem": client.get(f"/api/v1/referrals/{rid}", headers=bearer("forged")),
        "token": client.post("/oauth/token", data=school.token_form(None)),
    }
    sign_in(client, make_account(app))
    responses["dead letters"] = client.get("/admin/delivery")
    responses["audit export"] = client.get("/admin/audit/export.jsonl")
    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {"referral": 200, "inbox": 200, "attachment": 200, "fhir task": 200,
                        "fhir outcome": 404, "problem": 401, "token": 200, "dead letters": 200,
                        "audit export": 200}
    assert {name: response.headers.get("Cache-Control")
            for name, response in responses.items()} == dict.fromkeys(responses, "no-store")
