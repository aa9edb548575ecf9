"""Test helpers for acting as a partner institution: keys, client assertions, tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field

from joserfc import jwt
from joserfc.jwk import ECKey

from gateway.services.actor import Actor

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TESTER = Actor.system("test")  # who sets up fixtures, as the audit log names it
SUBJECT_REF = "stu-2024-0042"
SUMMARY = "Student described a plan to the dormitory officer; counsellor escalated."


def new_key(kid: str | None = None, alg: str = "ES256", curve: str = "P-256") -> ECKey:
    """A fresh EC private key (P-256 by default) with a kid."""
    return ECKey.generate_key(curve, parameters={"kid": kid or secrets.token_hex(4), "alg": alg},
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


def basic(client_id: str, secret: str) -> dict:
    """An HTTP Basic Authorization header (client_secret_basic)."""
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def referral_body(recipient_id: uuid.UUID, subject: str = SUBJECT_REF, **extra: object) -> dict:
    """A valid referral request to ``recipient_id``; ``extra`` adds or overrides fields."""
    return {"recipient_institution_id": str(recipient_id), "subject_ref": subject,
            "priority": "green_channel", "reason": "suicide_risk", "summary": SUMMARY, **extra}


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """Check an RFC 9457 problem response (status, media type, members) and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == status
    assert body["title"]
    if slug is not None:
        assert body["type"].endswith(f"/problems/{slug}"), body["type"]
    return body


def assert_no_personal_data(response, *values: str) -> None:
    """None of the personal ``values`` (default: the test subject and summary) is echoed."""
    text = response.get_data(as_text=True)
    for value in values or (SUBJECT_REF, SUMMARY):
        assert value not in text


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hand_made_jwt(header: dict, claims: dict, hmac_key: bytes | None = None) -> str:
    """A compact JWS built by hand: unsigned (``alg: none``) or HMAC-SHA256 with ``hmac_key``.

    No JOSE library will make these on purpose; an attacker will.
    """
    signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
    signature = b""
    if hmac_key is not None:
        signature = hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


@dataclass
class Admin:
    """A network administration client and its secret."""

    client_id: str
    secret: str

    def basic(self) -> dict:
        """Its client_secret_basic Authorization header."""
        return basic(self.client_id, self.secret)


@dataclass
class Pair:
    """A university and a hospital that may exchange referrals, with their access tokens."""

    university: Partner
    hospital: Partner
    uni_token: str
    hosp_token: str
