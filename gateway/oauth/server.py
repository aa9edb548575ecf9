"""The authorization server and resource protector (Authlib), configured for the gateway."""

from __future__ import annotations

import json
from typing import ClassVar

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    InvalidRequestError,
    InvalidScopeError,
    MissingAuthorizationError,
    grants,
)
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_basic
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Flask, abort, current_app, g
from joserfc import jws
from joserfc.errors import JoseError

from gateway.db import db_session
from gateway.oauth import client_copies, dpop, smart_scopes
from gateway.oauth.assertion import METHOD as PRIVATE_KEY_JWT
from gateway.oauth.assertion import PrivateKeyJwt
from gateway.oauth.clients import OAuthClient
from gateway.oauth.endpoints import Introspection, Revocation
from gateway.oauth.tokens import AccessTokenValidator, issue_access_token
from gateway.problems import problem
from gateway.security_log import log_security_event
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.audit.security_events import ASSERTION_REPLAYED, CLIENT_AUTH_FAILED
from gateway.services.network import clients
from gateway.services.network.jwks_fetch import FetchPolicy

OAUTH_ERROR_TITLES = {
    "invalid_client": "Client authentication failed",
    "invalid_scope": "Scope not allowed",
    "invalid_request": "Invalid token request",
    "unsupported_grant_type": "Grant type not supported",
    "unauthorized_client": "Client not authorised for this grant",
    "invalid_token": "Invalid access token",
    "invalid_dpop_proof": "Invalid DPoP proof",
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
    """Authlib's server with RFC 9457 error bodies; failed client authentication is a
    security event in the audit log."""

    def handle_error_response(self, request, error):
        if error.error == "invalid_client":
            _log_client_refusal(request, error)
        return oauth_problem(error)

    def authenticate_client(self, request, methods, endpoint="token"):
        """Authlib's client authentication, but a request that carries more than one way of
        authenticating is refused (RFC 6749 §2.3), whichever of them would succeed."""
        if _credential_count(request) > 1:
            raise InvalidRequestError(
                description="Use exactly one client authentication method per request.")
        return super().authenticate_client(request, methods, endpoint)


def _claimed_client_id(request) -> str | None:
    """The client id a token request claims: the form's, else its assertion's ``sub``."""
    form = request.payload.data if request.payload else {}
    if form.get("client_id"):
        return str(form["client_id"])
    try:
        claims = json.loads(jws.extract_compact(form["client_assertion"].encode()).payload)
        return str(claims["sub"])
    except (KeyError, ValueError, TypeError, AttributeError, JoseError):
        return None


def _log_client_refusal(request, error) -> None:
    """Name the client only if it is registered (a claimed id is untrusted text)."""
    claimed = _claimed_client_id(request)
    known = bool(claimed) and clients.find_active(db_session(), claimed) is not None
    replayed = "jti already used" in (error.description or "")
    log_security_event(ASSERTION_REPLAYED if replayed else CLIENT_AUTH_FAILED,
                       claimed if known else "unknown", "client",
                       claimed if known else None)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Client credentials; a scope beyond the client's allowance is refused, never narrowed."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar = [PRIVATE_KEY_JWT, "client_secret_basic"]

    def validate_requested_scope(self) -> None:
        allowed = set(self.request.client.registered.allowed_scopes)
        mapped = smart_scopes.gateway_scopes(scope_to_list(self.request.payload.scope) or [])
        if mapped is None or not mapped <= allowed:
            raise InvalidScopeError(description="A requested scope is not allowed for this client.")

    def validate_token_request(self) -> None:
        """Authlib's checks, then the DPoP proof (required of a DPoP-bound client)."""
        super().validate_token_request()
        g.dpop_jkt = dpop.token_request_binding(self.request.client)


def _bearer_challenge(*params: tuple[str, str]) -> str:
    """An RFC 6750 §3 ``WWW-Authenticate`` value."""
    return " ".join(["Bearer", ", ".join(f'{name}="{value}"' for name, value in params)]).strip()


class GatewayResourceProtector(ResourceProtector):
    """Bearer-token checks with problem+json refusals and RFC 6750 §3 challenges: no error
    code when no credentials were sent, ``invalid_request`` (400) for a malformed header,
    and a challenge naming the scope on 403 ``insufficient_scope``."""

    def raise_error_response(self, error):
        if isinstance(error, MissingAuthorizationError):
            abort(problem(401, OAUTH_ERROR_TITLES["missing_authorization"],
                          "Send an access token: Authorization: Bearer <token>.",
                          slug="oauth/missing_authorization",
                          headers={"WWW-Authenticate": _bearer_challenge()}))
        response = oauth_problem(error)
        if isinstance(error, InsufficientScopeError | InvalidRequestError):
            params = [("error", error.error)]
            if getattr(error, "required_scope", None):
                params.append(("scope", error.required_scope))
            response.headers["WWW-Authenticate"] = _bearer_challenge(*params)
        abort(response)

    def parse_request_authorization(self, request):
        """Authlib's parse, but ``Bearer`` with no token after it is a malformed request."""
        parts = (request.headers.get("Authorization") or "").split()
        if len(parts) == 1 and parts[0].lower() == "bearer":
            raise InvalidRequestError(description="The Bearer scheme needs a token after it.")
        return super().parse_request_authorization(request)

    def acquire_token(self, scopes=None, **kwargs):
        """Authlib's check, but a refused token is a 401/403 problem, never an uncaught error."""
        try:
            return super().acquire_token(scopes, **kwargs)
        except InsufficientScopeError as error:
            error.required_scope = " ".join(scopes or [])
            self.raise_error_response(error)
        except OAuth2Error as error:
            self.raise_error_response(error)


EXTENSION_KEY = "gateway.oauth"
require_oauth = GatewayResourceProtector()
require_oauth.register_token_validator(AccessTokenValidator())
require_oauth.register_token_validator(dpop.DpopTokenValidator())


def _query_client(client_id: str) -> OAuthClient | None:
    registered = client_copies.find_active(client_id)
    return OAuthClient(registered) if registered is not None else None


def _save_token(token: dict, request) -> None:
    """Tokens are never stored; the issue is audited by ``jti`` (the token generator's)."""
    client = request.client.registered
    journal.record(db_session(), Actor(client.client_id, None, frozenset()), "token.issued",
                   "token", g.access_token_jti,
                   detail={"scope": token["scope"], "auth_method": request.auth_method})


def _credential_count(request) -> int:
    """How many client credentials a request carries: an Authorization header, a
    ``client_assertion``, a ``client_secret`` in the body."""
    form = request.payload.data if request.payload is not None else {}
    return (bool(request.headers.get("Authorization")) + bool(form.get("client_assertion"))
            + bool(form.get("client_secret")))


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
    authorization.scopes_supported = [*clients.SCOPES, *smart_scopes.SMART_SCOPES]
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
