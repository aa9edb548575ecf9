"""Schemathesis against /openapi.json for referrals, consents, cases, the directory and network
administration: every operation is documented and every generated request passes all checks.
Path ids point at real objects (seeded below) so requests get past 404; partners call with their
own scopes, the coordination client with network:admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gateway.db import transaction
from gateway.models import OutboxStatus
from gateway.services import outbox
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.openapi_fuzz import assert_conforms, assert_documented, operations_under
from tests.support import assert_problem, bearer, new_key, public_jwks

PATHS = r"^/api/v1/(referrals|consents|cases|handovers|screening-rounds|campuses|network|directory)"
PREFIXES = ("/api/v1/referrals", "/api/v1/consents", "/api/v1/cases", "/api/v1/handovers",
            "/api/v1/screening-rounds", "/api/v1/campuses", "/api/v1/network", "/api/v1/directory")
EXAMPLES = 40
ORDER = ("/api/v1/referrals", "/api/v1/directory", "/api/v1/cases", "/api/v1/handovers",
         "/api/v1/screening-rounds", "/api/v1/campuses", "/api/v1/consents", "/api/v1/network")
# state changes that shut doors run after everything else
CLOSING = ("/transitions", "/close", "/revoke", "/reactivate", "/status")
PDF = b"%PDF-1.7\n% assessment\n" + b"bytes " * 40 + b"\n%%EOF\n"
OPERATIONS = {
    ("POST", "/api/v1/referrals"), ("GET", "/api/v1/referrals"),
    ("GET", "/api/v1/referrals/{referral_id}"),
    ("POST", "/api/v1/referrals/{referral_id}/transitions"),
    ("POST", "/api/v1/referrals/{referral_id}/updates"),
    ("POST", "/api/v1/referrals/{referral_id}/onward"),
    ("GET", "/api/v1/referrals/{referral_id}/events"),
    ("GET", "/api/v1/referrals/{referral_id}/metrics"),
    ("POST", "/api/v1/referrals/{referral_id}/attachments"),
    ("GET", "/api/v1/referrals/{referral_id}/attachments"),
    ("GET", "/api/v1/referrals/{referral_id}/attachments/{attachment_id}"),
    ("POST", "/api/v1/consents"), ("GET", "/api/v1/consents/{consent_id}"),
    ("POST", "/api/v1/consents/{consent_id}/revoke"),
    ("POST", "/api/v1/cases"), ("GET", "/api/v1/cases/{case_id}"),
    ("PATCH", "/api/v1/cases/{case_id}"), ("POST", "/api/v1/cases/{case_id}/escalations"),
    ("POST", "/api/v1/cases/{case_id}/assessments"),
    ("POST", "/api/v1/cases/{case_id}/follow-ups"), ("POST", "/api/v1/cases/{case_id}/close"),
    ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/overdue"),
    ("GET", "/api/v1/cases/key-period"), ("GET", "/api/v1/cases/risk-factors"),
    ("POST", "/api/v1/cases/{case_id}/reviews"), ("GET", "/api/v1/cases/{case_id}/hand-backs"),
    ("POST", "/api/v1/cases/{case_id}/return-to-school"),
    ("POST", "/api/v1/cases/{case_id}/aftercare"),
    ("POST", "/api/v1/cases/{case_id}/handovers"),
    ("POST", "/api/v1/referrals/{referral_id}/hand-back"),
    ("GET", "/api/v1/handovers"), ("GET", "/api/v1/handovers/{handover_id}"),
    ("POST", "/api/v1/handovers/{handover_id}/case"),
    ("GET", "/api/v1/screening-rounds"), ("POST", "/api/v1/screening-rounds"),
    ("POST", "/api/v1/screening-rounds/{round_id}/positives"),
    ("GET", "/api/v1/campuses"),
    ("GET", "/api/v1/network/institutions/{institution_id}/campuses"),
    ("POST", "/api/v1/network/institutions/{institution_id}/campuses"),
    ("PUT", "/api/v1/network/campuses/{campus_id}/green-channel"),
    ("GET", "/api/v1/directory"),
    ("GET", "/api/v1/network/institutions"), ("POST", "/api/v1/network/institutions"),
    ("PUT", "/api/v1/network/institutions/{institution_id}/directory"),
    ("POST", "/api/v1/network/clients"), ("POST", "/api/v1/network/clients/{client_id}/revoke"),
    ("POST", "/api/v1/network/clients/{client_id}/reactivate"),
    ("GET", "/api/v1/network/partnerships"), ("POST", "/api/v1/network/partnerships"),
    ("POST", "/api/v1/network/partnerships/{partnership_id}/status"),
    ("PUT", "/api/v1/network/delivery/institutions/{institution_id}/endpoint"),
    ("PUT", "/api/v1/network/delivery/regions/{region}/endpoint"),
    ("PUT", "/api/v1/network/delivery/institutions/{institution_id}/sla"),
    ("GET", "/api/v1/network/delivery/dead-letters"),
    ("POST", "/api/v1/network/delivery/dead-letters/{message_id}/replay"),
}


@dataclass
class World:
    """Real objects for path parameters; the partners' tokens and the coordinator's."""

    ids: dict[str, str]
    fields: dict[str, object]
    partner_tokens: tuple[str, str]
    admin_token: str

    def tokens(self, path: str) -> tuple[str, ...]:
        """Who calls ``path``: the coordinator for network routes, both partners otherwise."""
        if path.startswith("/api/v1/network"):
            return (self.admin_token,)
        return self.partner_tokens


@pytest.fixture
def world(app, client, make_partner, link, token_for, admin_token) -> World:
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    spare = make_partner("middle_school")
    partnership_id = link(school, hospital, "referral")
    school_token, hospital_token = token_for(school), token_for(hospital)
    headers = bearer(school_token)
    consent = client.post("/api/v1/consents", json=consent_body(hospital.institution_id),
                          headers=headers).get_json()
    referral = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id),
                           headers=headers).get_json()
    attachment = client.post(f"/api/v1/referrals/{referral['id']}/attachments?filename=a.pdf",
                             data=PDF, content_type="application/pdf", headers=headers).get_json()
    case = client.post("/api/v1/cases", json=crisis_case_body(), headers=headers).get_json()
    client.post("/api/v1/consents", headers=headers, json=consent_body(
        spare.institution_id, purpose="handover", categories=("school_record",)))
    handover = client.post(f"/api/v1/cases/{case['id']}/handovers", headers=headers, json={
        "recipient_institution_id": str(spare.institution_id),
        "school_record": {"grade": "Year 1"}}).get_json()
    screening = client.post("/api/v1/screening-rounds", headers=headers, json={
        "screened_on": "2026-09-20", "instrument": "PHQ-9", "screened": 10,
        "positive": 5}).get_json()
    campus = client.post(f"/api/v1/network/institutions/{school.institution_id}/campuses",
                         headers=bearer(admin_token),
                         json={"name": "East", "district": "d1"}).get_json()
    with transaction(app) as session:
        message = outbox.enqueue(session, "referral.accepted", {"event": "x"},
                                 institution_id=hospital.institution_id)
        message.status, message.attempts, message.last_error = OutboxStatus.DEAD, 8, "HTTP 503"
        message_id = str(message.id)
    return World({"referral_id": referral["id"], "attachment_id": attachment["id"],
                  "consent_id": consent["id"],
                  "case_id": case["id"], "client_id": spare.client_id,
                  "handover_id": handover["id"], "round_id": screening["id"],
                  "campus_id": campus["id"],
                  "partnership_id": str(partnership_id),
                  "institution_id": str(hospital.institution_id), "region": "r1",
                  "message_id": message_id},
                 {"recipient_institution_id": str(hospital.institution_id),
                  "institution_id": str(spare.institution_id),
                  "institution_ids": [str(spare.institution_id), str(hospital.institution_id)]},
                 (school_token, hospital_token), admin_token)


def test_every_operation_is_documented(client):
    assert_documented(client.get("/openapi.json").get_json(), PREFIXES, OPERATIONS)


@pytest.mark.slow
def test_no_server_errors(app, world):
    operations = sorted(operations_under(app, PATHS), key=_order)
    assert {(op.method.upper(), op.path) for op in operations} == OPERATIONS
    assert_conforms(operations, world.ids, world.tokens, EXAMPLES, world.fields)


def _order(operation) -> tuple[bool, int]:
    return (operation.path.endswith(CLOSING),
            next(i for i, prefix in enumerate(ORDER) if operation.path.startswith(prefix)))


@pytest.mark.parametrize("kid", [["k"], {"k": 1}, 5, ""])
def test_a_client_key_whose_kid_is_not_a_string_is_refused(client, admin_token, make_partner,
                                                            kid):
    """Found by hand past the generator: an unhashable kid was a 500."""
    school = make_partner("university")
    jwk = {**public_jwks(new_key())["keys"][0], "kid": kid}
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "school client", "institution_id": str(school.institution_id),
        "scopes": ["referrals:read"], "jwks": {"keys": [jwk]}})
    assert_problem(response, 422)


@pytest.mark.parametrize(("method", "url", "body", "status"), [
    ("get", "/api/v1/network/delivery/dead-letters?region=r%00", None, 422),
    ("post", "/api/v1/network/institutions", {"name": "School\x00", "kind": "university",
                                              "region": "r1", "country": "CN"}, 422),
    ("put", "/api/v1/network/delivery/regions/r%00/endpoint",
     {"format": "webhook", "url": "https://hooks.example/gateway"}, 404),
    ("post", "/api/v1/network/clients/client%00/revoke", None, 404),
])
def test_nul_characters_are_refused_before_the_database(client, admin_token, method, url,
                                                        body, status):
    """Found by the property on PostgreSQL (text cannot hold NUL): these were 500s."""
    response = getattr(client, method)(url, json=body, headers=bearer(admin_token))
    assert_problem(response, status)
