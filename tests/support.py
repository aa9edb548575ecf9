"""Test helpers for acting as a partner institution: keys, client assertions, tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field

from joserfc import jwt
from joserfc.jwk import ECKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(kid: str | None = None, alg: str = "ES256") -> ECKey:
    """A fresh P-256 private key with a kid."""
    return ECKey.generate_key("P-256", parameters={"kid": kid or secrets.token_hex(4), "alg": alg},
                              private=True)


def public_jwks(*keys: ECKey) -> dict:
    """A JWK Set of the public halves of ``keys``."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


@dataclass
class Partner:
    """A registered client of an institution, holding its private key."""

    client_id: str
    institution_id: uuid.UUID | None
    key: ECKey
    issuer: str
    scopes: list[str] = field(default_factory=list)

    def assertion(self, *, header: dict | None = None, key: ECKey | None = None,
                  **claims: object) -> str:
        """A signed client assertion; ``claims`` override the defaults (None removes one)."""
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": self.issuer + "/oauth/token",
                "iat": now, "exp": now + 120, "jti": secrets.token_urlsafe(16)}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signing_key = key or self.key
        head = {"alg": "ES256", "kid": signing_key.kid, **(header or {})}
        return jwt.encode(head, body, signing_key, algorithms=[head["alg"]])

    def token_form(self, scope: str | None = None, assertion: str | None = None) -> dict:
        """The form of a client-credentials token request."""
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion or self.assertion()}
        if scope is not None:
            form["scope"] = scope
        return form


def bearer(token: str) -> dict:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}
