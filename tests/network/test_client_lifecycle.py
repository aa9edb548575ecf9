"""Issue 16, defects 2 and 6: a client cannot revoke itself; revoked clients are reactivated
(audited) without reviving their old tokens; the revoke answer keeps its schema;
``referrals:emergency`` only for green-channel senders on private_key_jwt."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, AuthMethod
from gateway.services.network import clients
from tests.support import TESTER, assert_problem, bearer, new_key, public_jwks


def test_a_client_cannot_revoke_itself(client, admin_token, network_admin):
    response = client.post(f"/api/v1/network/clients/{network_admin.client_id}/revoke",
                           headers=bearer(admin_token))
    assert_problem(response, 409)
    assert client.get("/api/v1/network/institutions",
                      headers=bearer(admin_token)).status_code == 200


def _next_second() -> None:
    """Wait into the next whole second: a token of the revocation's second counts as older."""
    time.sleep(1 - time.time() % 1 + 0.01)


def test_reactivation_is_audited_and_old_tokens_stay_dead(app, client, admin_token,
                                                          make_partner, token_for):
    partner = make_partner("university")
    old = bearer(token_for(partner))
    admin = bearer(admin_token)
    assert client.get("/api/v1/referrals", headers=old).status_code == 200
    revoked = client.post(f"/api/v1/network/clients/{partner.client_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    assert client.get("/api/v1/referrals", headers=old).status_code == 401
    _next_second()
    reactivated = client.post(f"/api/v1/network/clients/{partner.client_id}/reactivate",
                              headers=admin)
    assert reactivated.status_code == 200 and reactivated.get_json()["active"] is True
    assert_problem(client.post(f"/api/v1/network/clients/{partner.client_id}/reactivate",
                               headers=admin), 409)
    assert client.get("/api/v1/referrals", headers=old).status_code == 401
    assert client.get("/api/v1/referrals", headers=bearer(token_for(partner))).status_code == 200
    with transaction(app) as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == partner.client_id)).all()
    assert actions.count("client.revoked") == 1 and actions.count("client.reactivated") == 1


def test_revoking_a_coordination_client_answers_its_documented_schema(app, client, admin_token):
    with transaction(app) as session:
        other = clients.register(session, TESTER, name="second desk", institution_id=None,
                                 auth_method=AuthMethod.CLIENT_SECRET_BASIC,
                                 scopes=["network:admin"]).client.client_id
    response = client.post(f"/api/v1/network/clients/{other}/revoke",
                           headers=bearer(admin_token))
    assert response.status_code == 200 and response.get_json()["institution_id"] is None
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]["Client"]
    assert "null" in schema["properties"]["institution_id"]["type"]


def _register(client, admin_token, institution_id, **extra):
    return client.post("/api/v1/network/clients", headers=bearer(admin_token), json={
        "name": "desk", "institution_id": str(institution_id),
        "scopes": ["referrals:write", "referrals:emergency"], **extra})


@pytest.mark.parametrize("kind", ["hospital", "counselling_agency"])
def test_emergency_scope_is_refused_to_institutions_that_receive_green_channel(
        client, admin_token, make_partner, kind):
    institution = make_partner(kind).institution_id
    response = _register(client, admin_token, institution, jwks=public_jwks(new_key()))
    assert "referrals:emergency" in assert_problem(response, 422)["detail"]


def test_emergency_scope_needs_private_key_jwt(client, admin_token, make_partner):
    school = make_partner("middle_school").institution_id
    refused = _register(client, admin_token, school, auth_method="client_secret_basic")
    assert "private_key_jwt" in assert_problem(refused, 422)["detail"]
    granted = _register(client, admin_token, school, jwks=public_jwks(new_key()))
    assert granted.status_code == 201, granted.get_json()
    assert "referrals:emergency" in granted.get_json()["scopes"]
