"""RFC 9068 JWT access tokens: issued signed by the keyring, validated strictly.

Validation requires ``typ: at+jwt`` (so no other JWT signed by the same key passes as an
access token), the gateway's ``iss`` and ``aud``, only the gateway's signing algorithm, and a
``jti`` that is not on the deny-list; the client behind it (and its institution) must still be
active. The claims are the gateway's own, trusted for the token's life; the deny state is
re-read at most once a second (``gateway/oauth/revocations.py``), not per request.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import current_app, g
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gateway.keystore import current_keyring
from gateway.oauth import revocations, smart_scopes, verified_tokens
from keys.signing import SIGNING_ALG

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def issue_access_token(client, grant_type, user=None, scope=None, expires_in=None,
                       include_refresh_token=False) -> dict:
    """Authlib token generator: a signed RFC 9068 access token, never stored."""
    config = current_app.config
    ttl = config["ACCESS_TOKEN_TTL"]
    now = int(time.time())
    registered = client.registered
    claims = {
        "iss": config["ISSUER"],
        "sub": registered.client_id,
        "aud": config["API_AUDIENCE"],
        "client_id": registered.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
        "scope": smart_scopes.granted(scope.split()) if scope else " ".join(
            registered.allowed_scopes),
    }
    if registered.institution_id is not None:
        claims["institution_id"] = str(registered.institution_id)
    jkt = g.get("dpop_jkt")  # set by the grant when the request carried a DPoP proof
    if jkt is not None:
        claims["cnf"] = {"jkt": jkt}
    g.access_token_jti = claims["jti"]  # audited by the server's save_token
    key = current_keyring().signing.current
    header = {"alg": SIGNING_ALG, "typ": "at+jwt", "kid": key.kid}
    return {
        "access_token": jwt.encode(header, claims, key, algorithms=[SIGNING_ALG]),
        "token_type": "DPoP" if jkt is not None else "Bearer",
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
        return revocations.current_state().refuses(self.client_id, self.jti, self.claims["iat"])

    def get_user(self) -> None:
        return None


def decode_access_token(token_string: str) -> AccessToken | None:
    """Verify signature, type and claims of an access token; None if anything is wrong.

    A token this process has verified with the current key set is not verified again until
    it expires (``gateway/oauth/verified_tokens.py``)."""
    keyset = current_keyring().signing.verification_set()
    claims = verified_tokens.recalled(token_string, keyset)
    if claims is None:
        claims = _verified_claims(token_string, keyset)
        if claims is None:
            return None
        verified_tokens.remember(token_string, keyset, claims)
    return AccessToken(claims)


def _verified_claims(token_string: str, keyset: KeySet) -> dict | None:
    config = current_app.config
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
    return token.claims


class AccessTokenValidator(BearerTokenValidator):
    """Resource-server side: Authlib calls this for every protected request."""

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        """A valid token that is not DPoP-bound (a bound one without its proof is refused)."""
        token = decode_access_token(token_string)
        return None if token is None or "cnf" in token.claims else token
