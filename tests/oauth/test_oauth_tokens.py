"""Access tokens at the API (RFC 9068 JWTs, RFC 6750 bearer), introspection and revocation."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from gateway.db import engine_of
from gateway.models import AuditEntry
from tests.support import Partner, assert_problem, bearer, hand_made_jwt, new_key

INBOX = "/api/v1/referrals?box=inbox"


def _json_part(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@pytest.fixture
def university(make_partner) -> Partner:
    return make_partner("university")


@pytest.fixture
def refused(client, table_counts) -> Callable[..., dict]:
    """Call the inbox with ``headers``; expect 401 ``error`` as problem+json, nothing written."""

    def get(headers: dict, error: str = "invalid_token") -> dict:
        before = table_counts()
        response = client.get(INBOX, headers=headers)
        body = assert_problem(response, 401, slug=f"oauth/{error}")
        assert body["error"] == error
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
        assert table_counts() == before
        return body

    return get


@pytest.fixture
def auth_form(university) -> Callable[[str], dict]:
    """The form of an introspection or revocation request about ``token`` by the university."""

    def form(token: str, partner: Partner = university) -> dict:
        return {"token": token, **partner.token_form()}

    return form


def test_a_well_formed_token_signed_by_the_gateway_is_accepted(client, university, forge_token):
    # The refusals below change one thing each in tokens made this way.
    response = client.get(INBOX, headers=bearer(forge_token(university)))
    assert response.status_code == 200, response.get_json()


def test_request_without_token_is_refused_without_an_error_code(client, table_counts):
    """Issue 16, defect 7 (RFC 6750 §3.1): no credentials, no error code."""
    before = table_counts()
    response = client.get(INBOX)
    body = assert_problem(response, 401, slug="oauth/missing_authorization")
    assert "error" not in body
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert table_counts() == before


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "bearer"])
def test_bearer_without_a_token_is_invalid_request(client, header):
    response = client.get(INBOX, headers={"Authorization": header})
    assert assert_problem(response, 400, slug="oauth/invalid_request")["error"] == \
        "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_expired_token_is_refused(university, forge_token, refused):
    now = int(time.time())
    refused(bearer(forge_token(university, iat=now - 600, nbf=now - 600, exp=now - 60)))


def test_an_issued_token_names_its_type_algorithm_and_the_signing_key(app, university,
                                                                      token_for):
    header = _json_part(token_for(university).split(".")[0])
    current = app.extensions["gateway.keyring"].signing.current
    assert header == {"typ": "at+jwt", "alg": "ES256", "kid": current.kid}


def test_token_signed_by_a_foreign_key_is_refused(app, university, forge_token, refused):
    ours = app.extensions["gateway.keyring"].signing.current
    refused(bearer(forge_token(university, key=new_key(kid=ours.kid))))
    refused(bearer(forge_token(university, key=new_key())))


def test_token_with_alg_none_is_refused(university, forge_token, refused):
    genuine = forge_token(university)
    header, claims = (_json_part(part) for part in genuine.split(".")[:2])
    refused(bearer(hand_made_jwt({**header, "alg": "none"}, claims)))


def test_token_with_hs256_keyed_by_the_gateways_public_key_is_refused(
        app, university, forge_token, refused):
    genuine = forge_token(university)
    header, claims = (_json_part(part) for part in genuine.split(".")[:2])
    public_pem = app.extensions["gateway.keyring"].signing.current.as_pem(private=False)
    refused(bearer(hand_made_jwt({**header, "alg": "HS256"}, claims, public_pem)))


@pytest.mark.parametrize("typ", [None, "JWT", "client-authentication+jwt"])
def test_token_without_at_jwt_type_is_refused_even_if_the_gateway_signed_it(
        university, forge_token, refused, typ):
    refused(bearer(forge_token(university, header={"typ": typ})))


def test_client_assertion_presented_as_access_token_is_refused(university, refused):
    refused(bearer(university.assertion(aud="http://gateway.test/api")))


@pytest.mark.parametrize("claim", [{"aud": "http://gateway.test/oauth/token"},
                                   {"iss": "http://elsewhere.test"},
                                   {"jti": None}, {"client_id": None}])
def test_token_with_wrong_or_missing_claims_is_refused(university, forge_token, refused, claim):
    refused(bearer(forge_token(university, **claim)))


def test_token_lacking_the_scope_of_the_call_is_insufficient_scope(
        client, pair, token_for, grant_consent, table_counts):
    read_only = token_for(pair.university, scope="referrals:read")
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    before = table_counts()
    response = client.post("/api/v1/referrals", json={}, headers=bearer(read_only))
    body = assert_problem(response, 403, slug="oauth/insufficient_scope")
    assert body["error"] == "insufficient_scope"
    assert response.headers["WWW-Authenticate"] == \
        'Bearer error="insufficient_scope", scope="referrals:write"'
    assert table_counts() == before


def test_live_token_of_a_revoked_client_is_refused(client, university, token_for, admin_token,
                                                  refused):
    token = token_for(university)
    assert client.get(INBOX, headers=bearer(token)).status_code == 200
    revoked = client.post(f"/api/v1/network/clients/{university.client_id}/revoke",
                          headers=bearer(admin_token))
    assert revoked.status_code == 200
    assert revoked.get_json()["active"] is False
    refused(bearer(token))


def test_revoked_token_is_refused_and_introspects_inactive(app, client, university, token_for,
                                                           auth_form, refused, row_count):
    token = token_for(university)
    before = client.post("/oauth/introspect", data=auth_form(token)).get_json()
    assert before["active"] is True
    assert before["client_id"] == university.client_id
    assert before["token_type"] == "Bearer"

    response = client.post("/oauth/revoke", data=auth_form(token))
    assert response.status_code == 200

    refused(bearer(token))
    assert row_count("revoked_tokens") == 1
    jti = before["jti"]
    with engine_of(app).connect() as connection:
        actions = connection.execute(select(AuditEntry.action).where(
            AuditEntry.object_id == jti).order_by(AuditEntry.seq)).scalars().all()
    assert actions == ["token.issued", "token.revoked"]
    after = client.post("/oauth/introspect", data=auth_form(token))
    assert after.status_code == 200
    assert after.get_json() == {"active": False}


def test_a_client_cannot_introspect_another_clients_token(client, university, make_partner,
                                                          token_for, auth_form):
    other = make_partner("hospital")
    response = client.post("/oauth/introspect", data=auth_form(token_for(other), university))
    assert response.status_code == 200
    assert response.get_json() == {"active": False}


def test_a_client_cannot_revoke_another_clients_token(client, university, make_partner,
                                                      token_for, auth_form, row_count):
    other = make_partner("hospital")
    token = token_for(other)
    response = client.post("/oauth/revoke", data=auth_form(token, university))
    assert_problem(response, 400, slug="oauth/invalid_grant")
    assert row_count("revoked_tokens") == 0
    assert client.get(INBOX, headers=bearer(token)).status_code == 200


def test_introspection_needs_client_authentication(client, university, token_for):
    response = client.post("/oauth/introspect", data={"token": token_for(university)})
    body = assert_problem(response, 401, slug="oauth/invalid_client")
    assert "active" not in body


def test_an_invalid_token_introspects_inactive(client, auth_form):
    response = client.post("/oauth/introspect", data=auth_form("not.a.token"))
    assert response.status_code == 200
    assert response.get_json() == {"active": False}
