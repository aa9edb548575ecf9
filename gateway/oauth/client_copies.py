"""Registered clients as the token endpoint needs them, read at most once a second per process.

A token request names its client; reading the client's row (with its institution) was a round
trip on every request. This process keeps an immutable copy of an active client — never the
ORM instance, which belongs to one session — and reads the row again when the copy is older
than ``TOKEN_REVOCATION_POLL_SECONDS`` (1 s), the bound of the deny state
(``gateway/oauth/revocations.py``): a client revoked or deactivated, its institution
deactivated, its secret or key set replaced elsewhere takes effect within that time on every
worker of every host. A commit in this process that changes a client or an institution drops
every copy at once, so the process that made the change sees it immediately. Unknown or
inactive clients are never remembered (their ids are untrusted text): they are looked up
every time, as before.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from joserfc.jwk import Key, import_key

from gateway.db import db_session
from gateway.models import AuthMethod, Client
from gateway.oauth import revocations
from gateway.oauth.bounded_map import BoundedMap, of_app
from gateway.services.network import clients

EXTENSION_KEY = "gateway.client_copies"
CAPACITY = 1024


@dataclass(frozen=True)
class RegisteredKey:
    """A client's registered public key, imported: the algorithm it is registered for."""

    alg: str | None
    key: Key


@lru_cache(maxsize=1024)
def _imported(jwk: str) -> RegisteredKey:
    document = json.loads(jwk)
    return RegisteredKey(document.get("alg"), import_key(document))


def registered_key(jwk: dict) -> RegisteredKey:
    """A registered public JWK, imported once per process (by its canonical JSON)."""
    return _imported(json.dumps(jwk, sort_keys=True))


@dataclass(frozen=True)
class RegisteredClient:
    """What the token endpoint needs of an active client, as read at ``read_at``."""

    client_id: str
    institution_id: uuid.UUID | None
    auth_method: AuthMethod
    secret_hash: str | None
    allowed_algs: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    jwks_uri: str | None
    dpop_bound: bool
    keys: Mapping[str, RegisteredKey]
    read_at: float
    generation: int

    @classmethod
    def of(cls, model: Client, read_at: float, generation: int) -> RegisteredClient:
        """The copy of an active client's row."""
        keys = {jwk["kid"]: registered_key(jwk) for jwk in (model.jwks or {}).get("keys", [])
                if isinstance(jwk.get("kid"), str)}
        return cls(model.client_id, model.institution_id, model.auth_method, model.secret_hash,
                   tuple(model.allowed_algs), tuple(model.allowed_scopes), model.jwks_uri,
                   model.dpop_bound, MappingProxyType(keys), read_at, generation)


def _copies() -> BoundedMap[str, RegisteredClient]:
    return of_app(EXTENSION_KEY, CAPACITY)


def find_active(client_id: str) -> RegisteredClient | None:
    """The active client ``client_id`` (its institution active too), else None; from this
    process's copy while it is fresh, else read afresh."""
    copies = _copies()
    copy = copies.get(client_id)
    now = time.monotonic()
    generation = revocations.local_changes()
    if copy is not None and revocations.fresh(copy.read_at, copy.generation, now):
        return copy
    model = clients.find_active(db_session(), client_id)
    if model is None:
        return None
    copy = RegisteredClient.of(model, now, generation)
    copies.put(client_id, copy)
    return copy
