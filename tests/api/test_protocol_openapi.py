"""Schemathesis against /openapi.json for the protocol endpoints: the audit log's proofs, the
FHIR R4 base, the OAuth endpoints and discovery. Every operation is documented, and every
generated request passes all checks (issue 16, defect 8). Path ids point at real objects: a
referral a university sent a hospital, under consent, sealed into the log."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.cli import seal_until_done
from tests.openapi_fuzz import assert_conforms, operations_under
from tests.support import bearer

PATHS = r"^/(audit|fhir/R4|oauth|\.well-known)/"
SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
          "audit:read", "audit:witness"]
EXAMPLES = 15
PUBLIC = {
    ("POST", "/oauth/token"), ("POST", "/oauth/introspect"), ("POST", "/oauth/revoke"),
    ("GET", "/.well-known/jwks.json"), ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/smart-configuration"), ("GET", "/fhir/R4/metadata"),
    ("GET", "/fhir/R4/.well-known/smart-configuration"),
}
GUARDED = {
    ("GET", "/audit/checkpoint"): "audit:read", ("GET", "/audit/entries/{index}"): "audit:read",
    ("GET", "/audit/consistency"): "audit:read", ("GET", "/audit/access-report"): "audit:read",
    ("POST", "/audit/cosignatures"): "audit:witness",
    ("POST", "/audit/split-views"): "audit:witness",
    ("GET", "/fhir/R4/Task"): "referrals:read", ("POST", "/fhir/R4/Task"): "referrals:write",
    ("GET", "/fhir/R4/Task/{task_id}"): "referrals:read",
    ("PUT", "/fhir/R4/Task/{task_id}"): "referrals:write",
    ("GET", "/fhir/R4/Task/{task_id}/_history"): "referrals:read",
    ("GET", "/fhir/R4/Task/{task_id}/_history/{version_id}"): "referrals:read",
    ("GET", "/fhir/R4/ServiceRequest/{request_id}"): "referrals:read",
    ("GET", "/fhir/R4/Patient/{patient_id}"): "referrals:read",
    ("GET", "/fhir/R4/Consent/{consent_id}"): "referrals:read",
    ("GET", "/fhir/R4/Organization/{organization_id}"): "referrals:read",
    ("GET", "/fhir/R4/HealthcareService"): "referrals:read",
    ("GET", "/fhir/R4/HealthcareService/{service_id}"): "referrals:read",
    ("GET", "/fhir/R4/Endpoint"): "referrals:read",
    ("GET", "/fhir/R4/Endpoint/{endpoint_id}"): "referrals:read",
    ("POST", "/fhir/R4/Communication"): "referrals:write",
}
# state changes run last, so the reads meet the objects as seeded
LAST = ("PUT", "POST")


@dataclass
class World:
    """Real ids for path parameters, and both partners' tokens."""

    ids: dict[str, str]
    partner_tokens: tuple[str, str]

    def tokens(self, path: str) -> tuple[str | None, ...]:
        """Partners call the guarded operations; the public ones are called without a token."""
        if path.startswith(("/oauth/", "/.well-known/", "/fhir/R4/metadata",
                            "/fhir/R4/.well-known")):
            return (None,)
        return self.partner_tokens


@pytest.fixture
def world(app, client, make_partner, link, token_for, grant_consent, send_referral) -> World:
    school = make_partner("university", scopes=SCOPES)
    hospital = make_partner("hospital", scopes=SCOPES)
    link(school, hospital, "referral")
    school_token, hospital_token = token_for(school), token_for(hospital)
    consent = grant_consent(school_token, hospital.institution_id).get_json()
    referral = send_referral(school_token, hospital.institution_id).get_json()
    task = client.get(f"/fhir/R4/Task/{referral['id']}",
                      headers=bearer(hospital_token)).get_json()
    seal_until_done(app)
    return World({"task_id": referral["id"], "request_id": referral["id"],
                  "consent_id": consent["id"],
                  "patient_id": task["for"]["reference"].removeprefix("Patient/"),
                  "organization_id": str(school.institution_id), "version_id": "1",
                  "service_id": str(hospital.institution_id),
                  "endpoint_id": str(hospital.institution_id),
                  "index": "0"}, (hospital_token, school_token))


def test_every_protocol_operation_is_documented(client):
    spec = client.get("/openapi.json").get_json()
    documented = {(method.upper(), path): operation for path, item in spec["paths"].items()
                  for method, operation in item.items()
                  if method != "parameters" and path.startswith(
                      ("/audit/", "/fhir/", "/oauth/", "/.well-known/"))}
    assert set(documented) == PUBLIC | set(GUARDED)
    for key, operation in documented.items():
        assert operation["summary"]
        assert operation["security"] == ([{"oauth2": [GUARDED[key]]}] if key in GUARDED
                                         else [])
        assert "default" not in operation["responses"]


def test_errors_are_documented_as_problems_or_outcomes(client):
    spec = client.get("/openapi.json").get_json()
    responses = spec["components"]["responses"]
    assert list(responses["UNAUTHORIZED"]["content"]) == ["application/problem+json"]
    assert responses["UNAUTHORIZED"]["headers"]["WWW-Authenticate"]["required"] is True
    assert responses["TOO_MANY_REQUESTS"]["headers"]["Retry-After"]["required"] is True
    assert list(responses["FHIR_404"]["content"]) == ["application/fhir+json"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])
    assert "Error" not in spec["components"]["schemas"]


def test_enums_and_local_times_are_documented_as_accepted(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    targets = schemas["ReferralTransition"]["properties"]["status"]["enum"]
    assert "draft" not in targets and "expired" not in targets and "accepted" in targets
    assert schemas["BookingDecision"]["properties"]["status"]["enum"] == ["confirmed",
                                                                          "declined"]
    assert schemas["Attendance"]["properties"]["status"]["enum"] == ["attended", "no_show"]
    local_start = schemas["Availability"]["properties"]["local_start"]
    assert "format" not in local_start and "+" not in local_start["pattern"]


def test_every_protocol_operation_conforms(app, world):
    operations = sorted(operations_under(app, PATHS),
                        key=lambda op: (op.method.upper() in LAST, op.path))
    assert {(op.method.upper(), op.path) for op in operations} == PUBLIC | set(GUARDED)
    assert_conforms(operations, world.ids, world.tokens, EXAMPLES)


@pytest.mark.parametrize("query", ["owner=x", "requester=Organization%2F1", "_format=xml",
                                   "_lastUpdated=2026-12-01"])
def test_a_malformed_task_search_is_an_outcome_not_a_crash(client, make_partner, token_for,
                                                           query):
    """Found by the property: a malformed owner or requester was a 500 (the validator's
    message was a format string with a stray ``{id}``)."""
    hospital = make_partner("hospital", scopes=["referrals:read"])
    response = client.get(f"/fhir/R4/Task?{query}", headers=bearer(token_for(hospital)))
    assert response.status_code in (400, 406)
    assert response.get_json()["resourceType"] == "OperationOutcome"
