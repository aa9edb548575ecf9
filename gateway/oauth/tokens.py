"""RFC 9068 JWT access tokens: issued signed by the keyring, validated strictly.

Validation requires ``typ: at+jwt`` (so no other JWT signed by the same key passes as an
access token), the gateway's ``iss`` and ``aud``, only the gateway's signing algorithm, and a
``jti`` that is not on the deny-list; the client behind it must still be active.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.services.network import clients
from keys.signing import SIGNING_ALG

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def issue_access_token(client, grant_type, user=None, scope=None, expires_in=None,
                       include_refresh_token=False) -> dict:
    """Authlib token generator: a signed RFC 9068 access token, never stored."""
    config = current_app.config
    ttl = config["ACCESS_TOKEN_TTL"]
    now = int(time.time())
    model = client.model
    claims = {
        "iss": config["ISSUER"],
        "sub": model.client_id,
        "aud": config["API_AUDIENCE"],
        "client_id": model.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
        "scope": scope or " ".join(model.allowed_scopes),
    }
    if model.institution_id is not None:
        claims["institution_id"] = str(model.institution_id)
    key = current_keyring().signing.current
    header = {"alg": SIGNING_ALG, "typ": "at+jwt", "kid": key.kid}
    return {
        "access_token": jwt.encode(header, claims, key, algorithms=[SIGNING_ALG]),
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": claims["scope"],
    }


@dataclass
class AccessToken(TokenMixin):
    """The verified claims of an access token."""

    claims: dict

    @property
    def jti(self) -> str:
        return self.claims["jti"]

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    def check_client(self, client) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.claims.get("scope", "")

    def get_expires_in(self) -> int:
        return self.claims["exp"] - self.claims["iat"]

    def is_expired(self) -> bool:
        return self.claims["exp"] <= time.time()

    def is_revoked(self) -> bool:
        session = db_session()
        client = clients.find_active(session, self.client_id)
        # a token issued before the client was revoked stays dead after a reactivation
        return (clients.is_denied(session, self.jti) or client is None
                or (client.revoked_at is not None
                    and self.claims["iat"] <= client.revoked_at.timestamp()))

    def get_user(self) -> None:
        return None


def decode_access_token(token_string: str) -> AccessToken | None:
    """Verify signature, type and claims of an access token; None if anything is wrong."""
    config = current_app.config
    keyset = current_keyring().signing.verification_set()
    try:
        token = jwt.decode(token_string, keyset, algorithms=[SIGNING_ALG])
    except (JoseError, ValueError):
        return None
    if token.header.get("typ") not in ACCESS_TOKEN_TYPES:
        return None
    options = {
        "iss": {"essential": True, "value": config["ISSUER"]},
        "aud": {"essential": True, "value": config["API_AUDIENCE"]},
        "sub": {"essential": True},
        "client_id": {"essential": True},
        "iat": {"essential": True},
        "jti": {"essential": True},
        "exp": {"essential": True},
    }
    registry = jwt.JWTClaimsRegistry(leeway=config["CLOCK_SKEW_SECONDS"], **options)
    try:
        registry.validate(token.claims)
    except JoseError:
        return None
    return AccessToken(token.claims)


class AccessTokenValidator(BearerTokenValidator):
    """Resource-server side: Authlib calls this for every protected request."""

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        return decode_access_token(token_string)
