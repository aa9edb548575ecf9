"""``private_key_jwt`` client authentication (RFC 7523, SMART Backend Services), strictly.

Rules beyond a plain signature check: an explicit algorithm allow-list per client, the key
picked by ``kid`` and matching ``alg``; ``iss`` = ``sub`` = client id; ``aud`` exactly the
issuer or the token endpoint; a short lifetime; and a ``jti`` that is spent once, in the
database, so replays fail on every worker and host. A client registered by ``jwks_uri`` whose
assertion names an unknown ``kid`` gets its keys refetched (throttled in the database).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from authlib.oauth2.rfc6749 import InvalidClientError
from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.util import to_bytes

from gateway.db import db_session, transaction
from gateway.oauth.client_copies import RegisteredKey, registered_key
from gateway.services.actor import Actor
from gateway.services.network import clients
from gateway.services.network.jwks_fetch import FetchPolicy

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
METHOD = "private_key_jwt"


def _refuse(why: str) -> InvalidClientError:
    return InvalidClientError(description=f"Client assertion refused: {why}.")


def _numeric_date(value: object) -> bool:
    """An RFC 7519 NumericDate: a JSON number (PyJWT writes ``1733000000.0``), never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class PrivateKeyJwt:
    """A client authentication method for Authlib's ``register_client_auth_method``."""

    def __init__(self, audiences: list[str], max_lifetime: int, leeway: int,
                 fetch_policy: FetchPolicy, refetch_interval: float) -> None:
        self.audiences = audiences
        self.max_lifetime = max_lifetime
        self.leeway = leeway
        self.fetch_policy = fetch_policy
        self.refetch_interval = refetch_interval

    def __call__(self, query_client, request):
        form = request.form
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            return None
        assertion = form["client_assertion"]
        header, unverified = self._peek(assertion)
        client_id = unverified.get("sub")
        if not isinstance(client_id, str) or form.get("client_id", client_id) != client_id:
            raise _refuse("sub must name the client")
        client = query_client(client_id)
        if client is None:
            raise _refuse("unknown or inactive client")
        if not client.check_endpoint_auth_method(METHOD, "token"):
            raise _refuse("the client does not use private_key_jwt")
        alg = header.get("alg")
        if alg not in client.registered.allowed_algs:
            raise _refuse("algorithm not allowed for this client")
        key = client.public_key(header.get("kid"))
        if key is None and client.registered.jwks_uri and isinstance(header.get("kid"), str):
            key = self._refetched_key(client_id, header["kid"])
        if key is None or key.alg != alg:
            raise _refuse("no registered key matches kid and alg")
        try:
            token = jwt.decode(assertion, key.key, algorithms=[alg])
        except (JoseError, ValueError) as exc:
            raise _refuse("signature or encoding invalid") from exc
        self._check_claims(token.claims, client_id)
        expires = datetime.fromtimestamp(token.claims["exp"], UTC)
        if not clients.spend_assertion(db_session(), client_id, token.claims["jti"], expires):
            raise _refuse("jti already used")
        return client

    def _refetched_key(self, client_id: str, kid: str) -> RegisteredKey | None:
        """The key ``kid`` after a (throttled) refetch of the client's ``jwks_uri``.

        Claim and result have transactions of their own, committed even when this assertion
        is then refused, and none is open while fetching. The request has written nothing
        yet; ending its transaction frees SQLite's write lock for them.
        """
        db_session().rollback()
        with transaction(current_app) as session:
            claim = clients.claim_refetch(session, client_id, self.refetch_interval)
        if claim is None:
            return None
        outcome = clients.refetch(claim, self.fetch_policy)
        with transaction(current_app) as session:
            jwks = clients.record_refetch(session, Actor.system("gateway"), claim, outcome)
        for jwk in (jwks or {}).get("keys", []):
            if jwk.get("kid") == kid:
                return registered_key(jwk)
        return None

    @staticmethod
    def _peek(assertion: str) -> tuple[dict, dict]:
        try:
            compact = jws.extract_compact(to_bytes(assertion))
            claims = json.loads(compact.payload)
        except (JoseError, ValueError) as exc:
            raise _refuse("not a compact JWS") from exc
        if not isinstance(claims, dict):
            raise _refuse("payload is not a JSON object")
        return compact.headers(), claims

    def _check_claims(self, claims: dict, client_id: str) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": client_id},
            sub={"essential": True, "value": client_id},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise _refuse(exc.description or exc.error) from exc  # names the claim
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        if aud not in self.audiences:
            raise _refuse("aud must be the issuer identifier or the token endpoint")
        now = int(time.time())
        exp = claims["exp"]
        if not _numeric_date(exp):
            raise _refuse("claim exp must be a NumericDate")
        if exp - now > self.max_lifetime + self.leeway:
            raise _refuse(f"claim exp more than {self.max_lifetime} seconds ahead")
        iat = claims.get("iat")
        if iat is not None and not _numeric_date(iat):
            raise _refuse("claim iat must be a NumericDate")
        if iat is not None and iat > now + self.leeway:
            raise _refuse("claim iat in the future")
        if iat is not None and exp - iat > self.max_lifetime:
            raise _refuse(f"claims iat and exp more than {self.max_lifetime} seconds apart")
        jti = claims["jti"]
        if not isinstance(jti, str) or not 8 <= len(jti) <= 256 or "\x00" in jti:
            raise _refuse("jti must be a string of 8 to 256 characters, without NUL")
