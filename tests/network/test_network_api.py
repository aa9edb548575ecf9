"""Network administration over the API: institutions, clients, partnerships."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories.network import institution_body
from tests.support import assert_problem, basic, bearer, new_key, public_jwks


def _register_institution(client, admin_token: str, kind: str = "hospital") -> dict:
    response = client.post("/api/v1/network/institutions", headers=bearer(admin_token),
                           json=institution_body(kind))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_registering_a_secret_client_shows_the_secret_once_and_it_works(client, admin_token):
    institution = _register_institution(client, admin_token)
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "dev client", "institution_id": institution["id"],
        "auth_method": "client_secret_basic", "scopes": ["referrals:read"]})
    assert response.status_code == 201, response.get_json()
    registered = response.get_json()
    assert registered["auth_method"] == "client_secret_basic"
    assert registered["scopes"] == ["referrals:read"]
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(registered["client_id"], registered["client_secret"]))
    assert token.status_code == 200, token.get_json()


def test_registering_a_key_client_returns_no_secret(client, admin_token):
    institution = _register_institution(client, admin_token)
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "hospital gateway", "institution_id": institution["id"],
        "scopes": ["referrals:read"], "jwks": public_jwks(new_key())})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["auth_method"] == "private_key_jwt"
    assert "client_secret" not in response.get_json()


def test_a_private_jwk_is_refused_at_registration(client, admin_token, row_count):
    institution = _register_institution(client, admin_token)
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "careless", "institution_id": institution["id"], "scopes": ["referrals:read"],
        "jwks": {"keys": [new_key().as_dict(private=True)]}})
    assert_problem(response, 422, slug="invalid-input")
    assert row_count("clients") == 1  # only the admin


@pytest.mark.parametrize("change", [{"kid": None}, {"alg": "PS256"}, {"alg": "HS256"},
                                    {"alg": "ES384"}])
def test_a_key_without_kid_or_with_an_unfitting_alg_is_refused(client, admin_token, change):
    institution = _register_institution(client, admin_token)
    jwk = {key: value for key, value in {**new_key().as_dict(private=False), **change}.items()
           if value is not None}
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "odd key", "institution_id": institution["id"], "scopes": ["referrals:read"],
        "allowed_algs": ["ES256", "PS256"], "jwks": {"keys": [jwk]}})
    assert_problem(response, 422, slug="invalid-input")


def test_duplicate_kids_are_refused(client, admin_token):
    institution = _register_institution(client, admin_token)
    jwks = public_jwks(new_key(kid="same"), new_key(kid="same"))
    response = client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "twins", "institution_id": institution["id"], "scopes": ["referrals:read"],
        "jwks": jwks})
    assert_problem(response, 422, slug="invalid-input")


def test_partnership_allows_nothing_until_approved(client, admin_token):
    first = _register_institution(client, admin_token, "university")
    second = _register_institution(client, admin_token)
    now = datetime.now(UTC)
    response = client.post("/api/v1/network/partnerships", headers=bearer(admin_token), json={
        "institution_ids": [first["id"], second["id"]], "exchanges": ["referral"],
        "valid_from": now.isoformat(), "valid_until": (now + timedelta(days=30)).isoformat()})
    assert response.status_code == 201, response.get_json()
    partnership = response.get_json()
    assert partnership["status"] == "proposed"
    url = f"/api/v1/network/partnerships/{partnership['id']}/status"
    approved = client.post(url, json={"status": "active"}, headers=bearer(admin_token))
    assert approved.get_json()["status"] == "active"
    back = client.post(url, json={"status": "proposed"}, headers=bearer(admin_token))
    assert_problem(back, 409, slug="invalid-transition")


def test_partner_tokens_cannot_administer_the_network(client, make_partner, token_for):
    response = client.get("/api/v1/network/institutions",
                          headers=bearer(token_for(make_partner("university"))))
    assert_problem(response, 403, slug="oauth/insufficient_scope")
