"""Endpoints outside the OpenAPI document (OAuth, FHIR) answer malformed input with a 4xx,
never a 5xx: garbage forms and client assertions, unknown tokens, non-JSON and oversized
bodies."""

from __future__ import annotations

import base64
import json

import pytest

from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.support import ASSERTION_TYPE, basic, bearer, hand_made_jwt

HUGE = 300 * 1024  # beyond MAX_CONTENT_LENGTH


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _segments(header: object, claims: object) -> str:
    """A compact JWS of arbitrary JSON parts and a junk signature."""
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.c2ln"


def _assertion_form(assertion: str, **extra: str) -> dict:
    return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, **extra}


def assert_client_error(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code,
                                               response.get_data(as_text=True)[:300])


GARBAGE_ASSERTIONS = [
    "", "x", "a.b", "a.b.c", "....", "é.é.é", "a" * 5000,
    _segments([1], {"sub": "x"}), _segments("alg", {"sub": "x"}), _segments({}, [1]),
    _segments({"alg": "ES256"}, "sub"), _segments({"alg": None}, {"sub": None}),
    _segments({"alg": ["ES256"], "kid": {"a": 1}}, {"sub": 12}),
    _segments({"alg": "ES256"}, {"sub": "client\x00"}),  # NUL never reaches PostgreSQL
    hand_made_jwt({"alg": "none"}, {"sub": "nobody"}),
    hand_made_jwt({"alg": "HS256"}, {"sub": "nobody"}, hmac_key=b"k"),
]


@pytest.mark.parametrize("assertion", GARBAGE_ASSERTIONS)
def test_token_endpoint_refuses_garbage_assertions(client, assertion):
    assert_client_error(client.post("/oauth/token", data=_assertion_form(assertion)))


@pytest.mark.parametrize("header", [
    {"alg": ["ES256"]}, {"kid": ["k"]}, {"kid": 7}, {"alg": None}, {"alg": "none"},
    {"alg": "HS256"}, {"crit": ["exp"]}, {"kid": {"nested": True}}, {"b64": False},
])
def test_token_endpoint_refuses_odd_assertion_headers_of_a_real_client(client, make_partner,
                                                                       header):
    partner = make_partner("university")
    claims = {"iss": partner.client_id, "sub": partner.client_id,
              "aud": partner.issuer + "/oauth/token", "exp": 2 ** 31, "jti": "j" * 16}
    forged = _segments({"alg": "ES256", "kid": partner.key.kid, **header}, claims)
    assert_client_error(client.post("/oauth/token", data=_assertion_form(forged)))


@pytest.mark.parametrize("claims", [
    {"exp": "soon"}, {"exp": 1e30}, {"exp": 2 ** 70}, {"exp": -(2 ** 70)}, {"exp": None},
    {"exp": True}, {"iat": "then"}, {"iat": 2 ** 70}, {"iat": [1]}, {"jti": 5}, {"jti": None},
    {"jti": ["a" * 10]}, {"aud": ["a", "b"]}, {"aud": {"x": 1}}, {"aud": 5}, {"nbf": "x"},
    {"iss": None}, {"iss": 5}, {"jti": "jti\x00" * 4},
])
def test_token_endpoint_refuses_odd_claims_signed_by_a_real_client(client, make_partner,
                                                                   claims):
    partner = make_partner("university")
    assertion = partner.assertion(**claims)
    assert_client_error(client.post("/oauth/token", data=_assertion_form(assertion)))


@pytest.mark.parametrize(("data", "headers"), [
    ({}, {}), ({"grant_type": "password"}, {}), ({"grant_type": "client_credentials"}, {}),
    ({"grant_type": ["client_credentials", "client_credentials"]}, {}),
    (_assertion_form("a.b.c", client_assertion_type="urn:other"), {}),
    ({"grant_type": "client_credentials"}, {"Authorization": "Basic !!!"}),
    ({"grant_type": "client_credentials"}, {"Authorization": "Basic " + _b64(b"no-colon")}),
    ({"grant_type": "client_credentials"}, {"Authorization": "Basic " + _b64(b"\xff\xfe:\xff")}),
    ({"grant_type": "client_credentials"}, {"Authorization": "Basic "}),
    ({"grant_type": "client_credentials"}, basic("id\x00", "s")),
    ({"grant_type": "client_credentials"}, {"Authorization": "Bearer x"}),
    ({"grant_type": "client_credentials", "scope": "\x00 \uffff"}, {}),
    ({"grant_type": "client_credentials", "client_assertion": "x" * HUGE}, {}),
])
def test_token_endpoint_refuses_garbage_forms(client, data, headers):
    assert_client_error(client.post("/oauth/token", data=data, headers=headers))


@pytest.mark.parametrize("body", [
    b"\xff\xfe\x00garbage", b"grant_type=%ff%fe&client_assertion=%00", b"{\"grant_type\": 1}",
    b"=&=&&&==", b"a" * HUGE,
])
@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_oauth_endpoints_refuse_undecodable_bodies(client, path, body):
    for content_type in ("application/x-www-form-urlencoded", "application/json", "text/plain"):
        assert_client_error(client.post(path, data=body, content_type=content_type))


@pytest.fixture
def caller(client, make_partner, token_for):
    """A partner able to authenticate, and a real token of its own."""
    partner = make_partner("university")
    return partner, token_for(partner)


@pytest.mark.parametrize("path", ["/oauth/introspect", "/oauth/revoke"])
@pytest.mark.parametrize("form", [
    {}, {"token": ""}, {"token": "x"}, {"token": "a.b.c"}, {"token": "é" * 100},
    {"token": _segments({"alg": "ES256", "kid": 1}, {"exp": "x"})},
    {"token": _segments([1], [2])}, {"token": "x", "token_type_hint": "bogus"},
    {"token": "x", "token_type_hint": "access_token"}, {"token": "x" * HUGE},
])
def test_introspection_and_revocation_refuse_garbage(client, caller, path, form):
    partner, token = caller
    unauthenticated = client.post(path, data={**form, "token": form.get("token", token)})
    assert_client_error(unauthenticated)
    authenticated = client.post(path, data={**_assertion_form(partner.assertion()), **form})
    assert authenticated.status_code < 500, authenticated.get_data(as_text=True)[:300]


@pytest.fixture
def task(client, linked):
    """A submitted referral (its Task id) and the receiving hospital's token header."""
    hospital_id, headers = linked.hospital.institution_id, linked.school_headers
    client.post("/api/v1/consents", json=consent_body(hospital_id), headers=headers)
    referral = client.post("/api/v1/referrals", json=referral_body(hospital_id),
                           headers=headers).get_json()
    return referral["id"], linked.hospital_headers


def _task_body(rid: str, **extra: object) -> dict:
    return {"resourceType": "Task", "id": rid, "intent": "order", "status": "accepted", **extra}


@pytest.mark.parametrize("body", [
    b"", b"not json", b"\xff\xfe\xfd", b"[]", b"null", b"42", b'"Task"', b"{",
    b"[" * 100_000, b'{"a":' * 50_000,
    json.dumps({"resourceType": "Patient"}).encode(),
    json.dumps({"resourceType": ["Task"]}).encode(),
    json.dumps({"resourceType": {"a": 1}}).encode(),
    b'{"resourceType": "Task", "id": "' + b"x" * HUGE + b'"}',
])
def test_fhir_task_update_refuses_malformed_bodies(client, task, body):
    rid, hospital = task
    for content_type in ("application/fhir+json", "application/json", "text/plain"):
        response = client.put(f"/fhir/R4/Task/{rid}", data=body, content_type=content_type,
                              headers=hospital)
        assert_client_error(response)


@pytest.mark.parametrize("extra", [
    {"id": 5}, {"id": None},
    {"status": "completed", "output": [{"type": {"text": "d"}, "valueCodeableConcept": {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "F\x00"}]}}]},
    {"status": 1}, {"status": None}, {"status": ["accepted"]},
    {"intent": {"x": 1}}, {"note": "text"}, {"note": [{"text": 5}]}, {"note": [None]},
    {"businessStatus": "x"}, {"businessStatus": {"coding": "x"}},
    {"businessStatus": {"coding": [{"code": None}]}}, {"statusReason": [1]},
    {"output": [{"valueCodeableConcept": 5}]}, {"output": {"a": 1}},
    {"status": "rejected", "statusReason": {"coding": [{"code": 5}]}},
    {"status": "completed", "output": [{"type": {"text": "d"}, "valueCodeableConcept": {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "F" * 5000}]}}]},
])
def test_fhir_task_update_refuses_wrong_tasks(client, task, extra):
    rid, hospital = task
    assert_client_error(client.put(f"/fhir/R4/Task/{rid}", json=_task_body(rid, **extra),
                                   headers=hospital))


@pytest.mark.parametrize("task_id", ["x", "0", "%00", "é", "1" * 2000,
                                     "00000000-0000-0000-0000-000000000000"])
def test_fhir_task_of_an_odd_id_is_not_found(client, task, task_id):
    _rid, hospital = task
    for response in (client.get(f"/fhir/R4/Task/{task_id}", headers=hospital),
                     client.put(f"/fhir/R4/Task/{task_id}", json=_task_body(task_id),
                                headers=hospital)):
        assert_client_error(response)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000])
def test_api_refuses_json_nested_too_deeply(client, make_partner, token_for, body):
    partner = make_partner("university")
    response = client.post("/api/v1/consents", data=body, content_type="application/json",
                           headers=bearer(token_for(partner)))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
