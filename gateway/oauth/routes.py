"""OAuth endpoints and discovery documents (RFC 8414, SMART configuration, JWKS)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from gateway.keystore import current_keyring
from gateway.oauth.server import authorization_server
from gateway.oauth.smart_scopes import SMART_SCOPES
from gateway.ratelimit import rate_limits
from gateway.services.network.clients import ASYMMETRIC_ALGS, SCOPES

bp = Blueprint("oauth", __name__)
AUTH_METHODS = ["private_key_jwt", "client_secret_basic"]


@bp.post("/oauth/token")
def token():
    """Client credentials token endpoint (rate-limited per address and per claimed client)."""
    rate_limits().token_request()
    return authorization_server().create_token_response()


@bp.post("/oauth/introspect")
def introspect():
    """RFC 7662 token introspection (client authentication rate-limited as for tokens)."""
    rate_limits().token_request()
    return authorization_server().create_endpoint_response("introspection")


@bp.post("/oauth/revoke")
def revoke():
    """RFC 7009 token revocation (client authentication rate-limited as for tokens)."""
    rate_limits().token_request()
    return authorization_server().create_endpoint_response("revocation")


@bp.get("/.well-known/jwks.json")
def jwks():
    """Public keys that verify the gateway's access tokens and its audit checkpoints."""
    response = jsonify(current_keyring().public_jwks())
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response


def _metadata() -> dict:
    issuer = current_app.config["ISSUER"]
    return {
        "issuer": issuer,
        "token_endpoint": issuer + "/oauth/token",
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "introspection_endpoint": issuer + "/oauth/introspect",
        "revocation_endpoint": issuer + "/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "scopes_supported": list(SCOPES),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
        "dpop_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
        "service_documentation": issuer + "/openapi.json",
    }


@bp.get("/.well-known/oauth-authorization-server")
def authorization_server_metadata():
    """RFC 8414 authorization server metadata."""
    return jsonify(_metadata())


def smart_configuration_document() -> dict:
    """SMART configuration (Backend Services): served here and at the FHIR base."""
    metadata = _metadata()
    return {
        "issuer": metadata["issuer"],
        "jwks_uri": metadata["jwks_uri"],
        "token_endpoint": metadata["token_endpoint"],
        "grant_types_supported": metadata["grant_types_supported"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
        "scopes_supported": [*metadata["scopes_supported"], *SMART_SCOPES],
        "introspection_endpoint": metadata["introspection_endpoint"],
        "revocation_endpoint": metadata["revocation_endpoint"],
        "capabilities": ["client-confidential-asymmetric", "permission-v2"],
    }


@bp.get("/.well-known/smart-configuration")
def smart_configuration():
    """SMART App Launch configuration, for backend-services clients of hospitals."""
    return jsonify(smart_configuration_document())
