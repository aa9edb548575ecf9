"""DPoP (RFC 9449): sender-constrained access tokens, checked at the token endpoint and on
every API call.

A proof is a JWS of type ``dpop+jwt`` signed with the key in its own ``jwk`` header, naming the
request (``htm``, ``htu``), fresh (``iat`` within the window), used once (``jti`` spent in the
database per client, like assertion ids) and, at the API, bound to the access token (``ath``).
The token carries the key's thumbprint in ``cnf.jkt``; a bound token presented as a Bearer
token, or with a proof signed by another key, is refused.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import current_app, request
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import import_key
from joserfc.util import to_bytes, urlsafe_b64encode

from gateway.db import db_session, transaction
from gateway.oauth.tokens import AccessToken, decode_access_token
from gateway.services.network import clients
from gateway.services.network.clients import ASYMMETRIC_ALGS, PRIVATE_JWK_MEMBERS

PROOF_TYPE = "dpop+jwt"
ALGS = list(ASYMMETRIC_ALGS)
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidDpopProofError(OAuth2Error):
    """RFC 9449 §5: the token request's proof is missing or invalid (400)."""

    error = "invalid_dpop_proof"
    status_code = 400


class DpopChallenge(OAuth2Error):
    """An API refusal under the DPoP scheme: ``WWW-Authenticate: DPoP error=…, algs=…``."""

    status_code = 401

    def __init__(self, error: str, description: str, status_code: int = 401) -> None:
        super().__init__(description=description, status_code=status_code)
        self.error = error

    def get_headers(self) -> list[tuple[str, str]]:
        challenge = (f'DPoP error="{self.error}", error_description="{self.description}", '
                     f'algs="{" ".join(ALGS)}"')
        return [*super().get_headers(), ("WWW-Authenticate", challenge)]


class ProofRefused(Exception):
    """Why a proof is not accepted (the caller turns it into its endpoint's error)."""


@dataclass(frozen=True)
class Proof:
    """A verified proof: the thumbprint of its key, its id and when it stops being fresh."""

    jkt: str
    jti: str
    expires_at: datetime


def _normalised(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port if parts.port != DEFAULT_PORTS.get(scheme) else None
    return scheme, (parts.hostname or "").lower(), port, parts.path or "/"


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the access token's ASCII."""
    return urlsafe_b64encode(hashlib.sha256(access_token.encode("ascii")).digest()).decode()


def verify_proof(access_token: str | None = None) -> Proof:
    """The request's one DPoP proof, verified for this request (and ``access_token``)."""
    values = request.headers.getlist("DPoP")
    if len(values) != 1:
        raise ProofRefused("send exactly one DPoP header")
    try:
        compact = jws.extract_compact(to_bytes(values[0]))
        header = compact.headers()
        jwk = header.get("jwk")
        if header.get("typ") != PROOF_TYPE or header.get("alg") not in ALGS:
            raise ProofRefused(f"typ must be {PROOF_TYPE} and alg one of {' '.join(ALGS)}")
        if not isinstance(jwk, dict) or PRIVATE_JWK_MEMBERS & set(jwk):
            raise ProofRefused("the jwk header must hold a public key")
        key = import_key(jwk)
        jws.deserialize_compact(values[0], key, algorithms=[header["alg"]])
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise ProofRefused("not a valid signed proof") from exc
    if not isinstance(claims, dict):
        raise ProofRefused("the payload is not a JSON object")
    _check_claims(claims, access_token)
    max_age = int(current_app.config["DPOP_PROOF_MAX_AGE"])
    leeway = int(current_app.config["CLOCK_SKEW_SECONDS"])
    return Proof(key.thumbprint(), claims["jti"],
                 datetime.fromtimestamp(claims["iat"] + max_age + leeway, UTC))


def _check_claims(claims: dict, access_token: str | None) -> None:
    config = current_app.config
    if claims.get("htm") != request.method:
        raise ProofRefused("htm must be this request's method")
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normalised(htu) != _normalised(config["ISSUER"]
                                                                   + request.path):
        raise ProofRefused("htu must be this request's URL without query")
    iat, now = claims.get("iat"), time.time()
    leeway = int(config["CLOCK_SKEW_SECONDS"])
    if (not isinstance(iat, int | float) or isinstance(iat, bool)
            or not now - int(config["DPOP_PROOF_MAX_AGE"]) - leeway <= iat <= now + leeway):
        raise ProofRefused("iat must be a NumericDate within the last few minutes")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 256 or "\x00" in jti:
        raise ProofRefused("jti must be a string of 8 to 256 characters, without NUL")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise ProofRefused("ath must be the hash of the access token")


def _spend(client_id: str, proof: Proof) -> bool:
    """Spend the proof in the request's transaction (token endpoint: a refusal writes nothing
    and issues no token, so a replay of it gains nothing)."""
    return clients.spend_dpop_proof(db_session(), client_id, proof.jti, proof.expires_at)


def _spend_now(client_id: str, proof: Proof) -> bool:
    """Spend the proof in a transaction of its own, committed even when the API call then
    fails: a 4xx rolls the request back, and the proof must stay spent. Called before the
    request has touched the database (SQLite's write lock is free)."""
    with transaction(current_app) as session:
        return clients.spend_dpop_proof(session, client_id, proof.jti, proof.expires_at)


def token_request_binding(client) -> str | None:
    """At the token endpoint: the thumbprint to bind the new token to, or None (Bearer).

    A DPoP-bound client must send a proof; any client that sends one gets a bound token.
    """
    if "DPoP" not in request.headers:
        if client.registered.dpop_bound:
            raise InvalidDpopProofError(description="This client's tokens are DPoP-bound: "
                                                    "send a DPoP proof.")
        return None
    try:
        proof = verify_proof()
    except ProofRefused as exc:
        raise InvalidDpopProofError(description=f"DPoP proof refused: {exc}.") from exc
    if not _spend(client.get_client_id(), proof):
        raise InvalidDpopProofError(description="DPoP proof refused: jti already used.")
    return proof.jkt


class DpopTokenValidator(BearerTokenValidator):
    """``Authorization: DPoP <token>`` with a proof bound to the token's ``cnf.jkt``."""

    TOKEN_TYPE = "dpop"  # noqa: S105 - an authorization scheme

    def authenticate_token(self, token_string: str) -> AccessToken | None:
        token = decode_access_token(token_string)
        jkt = (token.claims.get("cnf") or {}).get("jkt") if token is not None else None
        if token is None or not isinstance(jkt, str):
            raise DpopChallenge("invalid_token", "The access token is invalid or not DPoP-bound.")
        try:
            proof = verify_proof(token_string)
        except ProofRefused as exc:
            raise DpopChallenge("invalid_dpop_proof", f"DPoP proof refused: {exc}.") from exc
        if proof.jkt != jkt:
            raise DpopChallenge("invalid_dpop_proof",
                                "DPoP proof refused: signed by a key the token is not bound to.")
        if not _spend_now(token.client_id, proof):
            raise DpopChallenge("invalid_dpop_proof", "DPoP proof refused: jti already used.")
        return token

    def validate_token(self, token, scopes, request) -> None:
        """Authlib's expiry, revocation and scope checks, answered under the DPoP scheme."""
        try:
            super().validate_token(token, scopes, request)
        except DpopChallenge:
            raise
        except OAuth2Error as error:
            raise DpopChallenge(error.error, error.get_error_description(),
                                error.status_code) from error
