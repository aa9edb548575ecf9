"""Discovery documents, the published keys, the OpenAPI document, and what is never stored."""

from __future__ import annotations

import pytest
from sqlalchemy import String, Text, cast, or_, select

from gateway.db import engine_of
from gateway.models import Base
from tests.support import bearer

SAFE_ALGS = {"ES256", "ES384", "EdDSA", "PS256", "RS384"}


@pytest.mark.parametrize("path", ["/.well-known/oauth-authorization-server",
                                  "/.well-known/smart-configuration"])
def test_discovery_lists_only_asymmetric_signing_algorithms(client, app, path):
    response = client.get(path)
    assert response.status_code == 200
    metadata = response.get_json()
    issuer = app.config["ISSUER"]
    assert metadata["issuer"] == issuer
    assert metadata["token_endpoint"] == issuer + "/oauth/token"
    assert metadata["jwks_uri"] == issuer + "/.well-known/jwks.json"
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["grant_types_supported"] == ["client_credentials"]
    for name, value in metadata.items():
        if name.endswith("_signing_alg_values_supported"):
            assert set(value) <= SAFE_ALGS, name
            assert "none" not in value
            assert not any(alg.upper().startswith("HS") for alg in value)
    assert set(metadata["token_endpoint_auth_signing_alg_values_supported"]) == SAFE_ALGS


def test_smart_configuration_declares_backend_services(client):
    smart = client.get("/.well-known/smart-configuration").get_json()
    assert smart["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert "client-confidential-asymmetric" in smart["capabilities"]


def test_authorization_server_metadata_names_introspection_and_revocation(client, app):
    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    issuer = app.config["ISSUER"]
    assert metadata["introspection_endpoint"] == issuer + "/oauth/introspect"
    assert metadata["revocation_endpoint"] == issuer + "/oauth/revoke"
    assert "network:admin" in metadata["scopes_supported"]


def test_jwks_publishes_only_public_members_of_the_signing_and_log_keys(client, app):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    signing = [key.kid for key in app.extensions["gateway.keyring"].signing.keys]
    tokens = [key for key in keys if key["kty"] == "EC"]
    log = [key for key in keys if key["kty"] == "OKP"]
    assert [key["kid"] for key in tokens] == signing
    assert log and len(tokens) + len(log) == len(keys)  # the audit log's Ed25519 keys
    for key in keys:
        assert set(key) <= {"kty", "crv", "x", "y", "kid", "alg", "use"}
        assert key["alg"] == ("ES256" if key["kty"] == "EC" else "EdDSA")
        assert "d" not in key


DOCUMENTED = ("/api/v1/", "/audit/", "/fhir/R4/", "/oauth/", "/.well-known/")


def test_openapi_is_3_1_and_lists_every_api_path(client, app):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1.")
    documented = set(document["paths"])
    routed = {rule.rule.replace("<uuid:", "{").replace("<int:", "{").replace("<", "{")
              .replace(">", "}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith(DOCUMENTED)}
    assert routed
    assert routed == documented
    assert "oauth2" in document["components"]["securitySchemes"]


def _everything_stored(app) -> str:
    """Every text and JSON value of every table, as one string."""
    values = []
    with engine_of(app).connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [cast(column, Text) for column in table.columns]
            for row in connection.execute(select(*columns)):
                values += [value for value in row if value is not None]
    return "\n".join(values)


def test_client_secrets_are_stored_only_hashed(app, network_admin):
    stored = _everything_stored(app)
    assert network_admin.client_id in stored
    assert network_admin.secret not in stored
    with engine_of(app).connect() as connection:
        table = Base.metadata.tables["clients"]
        hashed = connection.execute(select(table.c.secret_hash).where(
            table.c.client_id == network_admin.client_id)).scalar_one()
    assert hashed.startswith(("scrypt:", "pbkdf2:"))


def test_no_access_token_is_stored_anywhere(app, client, pair, referral, admin_token):
    tokens = [pair.uni_token, pair.hosp_token, admin_token]
    client.post("/oauth/revoke", data={"token": pair.uni_token, **pair.university.token_form()})
    stored = _everything_stored(app)
    for token in tokens:
        _header, payload, signature = token.split(".")
        assert token not in stored
        assert signature not in stored
        assert payload not in stored


def test_personal_fields_are_encrypted_at_rest(app, referral):
    with engine_of(app).connect() as connection:
        table = Base.metadata.tables["referrals"]
        summary = connection.execute(select(cast(table.c.summary, String))).scalar_one()
        found = connection.execute(select(table.c.id).where(or_(
            cast(table.c.summary, String).contains("dormitory"),
            table.c.subject_key.contains("stu-")))).all()
    assert summary.startswith("gw1.")
    assert found == []
    assert "dormitory" not in _everything_stored(app)


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz", headers=bearer("not-a-token"))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
