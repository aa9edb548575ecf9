"""Client authentication at the token endpoint: private_key_jwt (RFC 7523) and client_secret_basic.

Every refusal is problem+json with RFC 6749's ``error`` and writes nothing: not the assertion's
``jti``, not an audit entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from gateway.db import transaction
from gateway.services.network import clients
from tests.support import (
    ASSERTION_TYPE,
    TESTER,
    Partner,
    assert_problem,
    basic,
    hand_made_jwt,
    new_key,
)


@pytest.fixture
def university(make_partner) -> Partner:
    """A university client allowed ES256 and ES384, with one ES256 key."""
    return make_partner("university", algs=["ES256", "ES384"])


@pytest.fixture
def refused(client, table_counts) -> Callable[..., dict]:
    """Post a token request; expect ``error`` and ``reason`` as problem+json; nothing written."""

    def post(form: dict, reason: str, error: str = "invalid_client", status: int = 400,
             headers: dict | None = None) -> dict:
        before = table_counts()
        response = client.post("/oauth/token", data=form, headers=headers)
        body = assert_problem(response, status, slug=f"oauth/{error}")
        assert body["error"] == error
        assert "access_token" not in body
        assert table_counts() == before
        assert reason in body["error_description"]
        return body

    return post


def assertion_form(assertion: str) -> dict:
    return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion}


def test_valid_assertion_gets_a_token_and_is_audited(client, university, table_counts):
    before = table_counts()
    response = client.post("/oauth/token", data=university.token_form("referrals:read"))
    assert response.status_code == 200, response.get_json()
    token = response.get_json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "referrals:read"
    assert 0 < token["expires_in"] <= 300
    assert response.headers["Cache-Control"] == "no-store"
    after = table_counts()
    assert after["used_assertions"] == before["used_assertions"] + 1
    assert after["audit_entries"] == before["audit_entries"] + 1


def test_assertion_with_alg_none_is_refused(university, refused):
    claims = {"iss": university.client_id, "sub": university.client_id,
              "aud": university.issuer + "/oauth/token", "exp": int(time.time()) + 60,
              "jti": "none-alg-assertion-1"}
    unsigned = hand_made_jwt({"alg": "none", "kid": university.key.kid}, claims)
    refused(assertion_form(unsigned), "algorithm not allowed")


def test_assertion_with_hs256_keyed_by_the_public_key_is_refused(university, refused):
    claims = {"iss": university.client_id, "sub": university.client_id,
              "aud": university.issuer + "/oauth/token", "exp": int(time.time()) + 60,
              "jti": "hs256-assertion-1"}
    public_pem = university.key.as_pem(private=False)
    forged = hand_made_jwt({"alg": "HS256", "kid": university.key.kid}, claims, public_pem)
    refused(assertion_form(forged), "algorithm not allowed")


def test_replayed_assertion_is_refused(client, university, refused):
    assertion = university.assertion()
    first = client.post("/oauth/token", data=assertion_form(assertion))
    assert first.status_code == 200
    refused(assertion_form(assertion), "jti already used")


def test_assertion_for_another_audience_is_refused(university, refused):
    refused(assertion_form(university.assertion(aud="https://other.example/oauth/token")),
            "aud must be")


def test_assertion_with_an_extra_audience_is_refused(university, refused):
    audiences = [university.issuer + "/oauth/token", "https://other.example/oauth/token"]
    refused(assertion_form(university.assertion(aud=audiences)), "aud must be")


def test_assertion_with_the_issuer_as_single_audience_in_a_list_is_accepted(client, university):
    response = client.post("/oauth/token",
                           data=assertion_form(university.assertion(aud=[university.issuer])))
    assert response.status_code == 200, response.get_json()


def test_assertion_living_longer_than_300_seconds_is_refused(university, refused):
    now = int(time.time())
    refused(assertion_form(university.assertion(iat=now, exp=now + 301)), "lifetime too long")


def test_assertion_expiring_far_ahead_without_iat_is_refused(university, refused):
    refused(assertion_form(university.assertion(iat=None, exp=int(time.time()) + 340)),
            "exp too far")


def test_expired_assertion_is_refused(university, refused):
    now = int(time.time())
    refused(assertion_form(university.assertion(iat=now - 400, exp=now - 120)), "expired")


def test_assertion_without_jti_is_refused(university, refused):
    refused(assertion_form(university.assertion(jti=None)), "missing_claim")


def test_assertion_with_unknown_kid_is_refused(university, refused):
    refused(assertion_form(university.assertion(header={"kid": "not-registered"})),
            "no registered key")


def test_assertion_signed_by_an_unregistered_key_with_a_registered_kid_is_refused(
        university, refused):
    impostor = new_key(kid=university.key.kid)
    refused(assertion_form(university.assertion(key=impostor)), "signature")


def test_assertion_whose_alg_differs_from_the_keys_alg_is_refused(university, refused):
    # ES384 is in the client's allow-list, but its registered key is an ES256 key.
    refused(assertion_form(university.assertion(header={"alg": "ES384"}, key=new_key(
        kid=university.key.kid, alg="ES384", curve="P-384"))), "no registered key")


def test_assertion_with_an_alg_outside_the_clients_allow_list_is_refused(make_partner, refused):
    partner = make_partner("university")  # allowed_algs: ES256 only
    other = new_key(kid=partner.key.kid, alg="ES384", curve="P-384")
    refused(assertion_form(partner.assertion(header={"alg": "ES384"}, key=other)),
            "algorithm not allowed")


def test_assertion_whose_iss_differs_from_sub_is_refused(university, make_partner, refused):
    other = make_partner("hospital")
    refused(assertion_form(university.assertion(iss=other.client_id)), "invalid_claim")


def test_assertion_naming_another_client_id_in_the_form_is_refused(
        university, make_partner, refused):
    other = make_partner("hospital")
    refused({**assertion_form(university.assertion()), "client_id": other.client_id},
            "sub must name the client")


def test_scope_beyond_the_clients_allowance_is_invalid_scope(university, refused):
    refused(university.token_form("referrals:read network:admin"), "scope is not allowed",
            error="invalid_scope")


def test_unknown_scope_is_invalid_scope(university, refused):
    refused(university.token_form("everything"), "scope is not allowed", error="invalid_scope")


def test_revoked_client_gets_no_token(app, university, refused):
    with transaction(app) as session:
        clients.revoke(session, TESTER, university.client_id)
    refused(university.token_form(), "unknown or inactive client")


def test_client_secret_basic_with_the_right_secret_gets_a_token(client, network_admin):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=network_admin.basic())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"] == "network:admin"


def test_client_secret_basic_with_a_wrong_secret_is_refused(network_admin, refused):
    body = refused({"grant_type": "client_credentials"}, "cannot authenticate", status=401,
                   headers=basic(network_admin.client_id, network_admin.secret + "x"))
    assert network_admin.secret not in str(body)


def test_private_key_jwt_client_cannot_fall_back_to_a_secret(university, refused):
    refused({"grant_type": "client_credentials"}, "cannot authenticate", status=401,
            headers=basic(university.client_id, "guess"))
