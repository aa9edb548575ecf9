"""The authorization server and resource protector (Authlib), configured for the gateway."""

from __future__ import annotations

import json
from typing import ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidScopeError, grants
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import Flask, abort, current_app
from joserfc import jws

from gateway.db import db_session
from gateway.oauth.assertion import METHOD as PRIVATE_KEY_JWT
from gateway.oauth.assertion import PrivateKeyJwt
from gateway.oauth.clients import OAuthClient
from gateway.oauth.endpoints import Introspection, Revocation
from gateway.oauth.tokens import AccessTokenValidator, issue_access_token
from gateway.problems import problem
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.network import clients
from gateway.services.network.jwks_fetch import FetchPolicy

OAUTH_ERROR_TITLES = {
    "invalid_client": "Client authentication failed",
    "invalid_scope": "Scope not allowed",
    "invalid_request": "Invalid token request",
    "unsupported_grant_type": "Grant type not supported",
    "unauthorized_client": "Client not authorised for this grant",
    "invalid_token": "Invalid access token",
    "insufficient_scope": "Insufficient scope",
    "missing_authorization": "Access token required",
}
RESPONSE_HEADERS_KEPT = ("WWW-Authenticate", "Cache-Control", "Pragma")


def oauth_problem(error):
    """An Authlib error as problem+json that also keeps RFC 6749's ``error`` members."""
    body = dict(error.get_body())
    headers = {k: v for k, v in error.get_headers() if k in RESPONSE_HEADERS_KEPT}
    title = OAUTH_ERROR_TITLES.get(body.get("error"), "OAuth error")
    return problem(error.status_code, title, body.get("error_description"),
                   slug=f"oauth/{body.get('error')}", headers=headers, **body)


class GatewayAuthorizationServer(AuthorizationServer):
    """Authlib's server with RFC 9457 error bodies."""

    def handle_error_response(self, request, error):
        return oauth_problem(error)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Client credentials; a scope beyond the client's allowance is refused, never narrowed."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar = [PRIVATE_KEY_JWT, "client_secret_basic"]

    def validate_requested_scope(self) -> None:
        allowed = set(self.request.client.model.allowed_scopes)
        requested = scope_to_list(self.request.payload.scope) or []
        if not set(requested) <= allowed:
            raise InvalidScopeError(description="A requested scope is not allowed for this client.")


class GatewayResourceProtector(ResourceProtector):
    """Bearer-token checks with problem+json refusals."""

    def raise_error_response(self, error):
        abort(oauth_problem(error))

    def acquire_token(self, scopes=None, **kwargs):
        """Authlib's check, but a refused token is a 401/403 problem, never an uncaught error."""
        try:
            return super().acquire_token(scopes, **kwargs)
        except OAuth2Error as error:
            self.raise_error_response(error)


EXTENSION_KEY = "gateway.oauth"
require_oauth = GatewayResourceProtector()
require_oauth.register_token_validator(AccessTokenValidator())


def _query_client(client_id: str) -> OAuthClient | None:
    model = clients.find_active(db_session(), client_id)
    return OAuthClient(model) if model is not None else None


def _save_token(token: dict, request) -> None:
    """Tokens are never stored; the issue is audited by ``jti``."""
    jti = json.loads(jws.extract_compact(token["access_token"].encode()).payload)["jti"]
    client = request.client.model
    journal.record(db_session(), Actor(client.client_id, None, frozenset()), "token.issued",
                   "token", jti,
                   detail={"scope": token["scope"], "auth_method": request.auth_method})


def _client_secret_basic(query_client, request):
    """Authlib's ``client_secret_basic``, but a scheme without credentials (``Basic ``) is no
    credential: Authlib's header split raises ValueError on it."""
    if len(request.headers.get("Authorization", "").split()) < 2:
        return None
    return authenticate_client_secret_basic(query_client, request)


def init_oauth(app: Flask) -> None:
    """Wire grants, client authentication, endpoints and token validation into ``app``."""
    issuer = app.config["ISSUER"]
    authorization = GatewayAuthorizationServer()
    authorization.init_app(app, query_client=_query_client, save_token=_save_token)
    authorization.scopes_supported = list(clients.SCOPES)
    authorization.register_client_auth_method("client_secret_basic", _client_secret_basic)
    authorization.register_client_auth_method(
        PRIVATE_KEY_JWT,
        PrivateKeyJwt(
            audiences=[issuer, issuer + "/oauth/token"],
            max_lifetime=app.config["CLIENT_ASSERTION_MAX_LIFETIME"],
            leeway=app.config["CLOCK_SKEW_SECONDS"],
            fetch_policy=FetchPolicy.from_config(app.config),
            refetch_interval=float(app.config["JWKS_REFETCH_MIN_INTERVAL"]),
        ),
    )
    authorization.register_grant(ClientCredentialsGrant)
    authorization.register_token_generator("default", issue_access_token)
    authorization.register_endpoint(Introspection)
    authorization.register_endpoint(Revocation)
    app.extensions[EXTENSION_KEY] = authorization


def authorization_server() -> GatewayAuthorizationServer:
    """The authorization server of the running app."""
    return current_app.extensions[EXTENSION_KEY]
