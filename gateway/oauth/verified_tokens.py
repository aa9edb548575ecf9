"""Access tokens this process has verified, remembered by their exact string until they expire.

Verifying an access token (its ES256 signature, type and claims) cost every API request
0.3-0.5 ms. A partner sends the same token for its whole life, so this process keeps the
verified claims of the last few thousand tokens it saw, each until its ``exp`` and only for
the key set that verified it: once the gateway's verification keys change (a key removed, say),
a remembered token is verified afresh and a token signed by a removed key is refused. Only
the verification is remembered: whether the token is revoked, its client or institution ended
(``gateway/oauth/revocations.py``) is still asked on every request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from joserfc.jwk import KeySet

from gateway.oauth.bounded_map import BoundedMap, of_app

EXTENSION_KEY = "gateway.verified_tokens"
CAPACITY = 4096


@dataclass(frozen=True)
class _Verified:
    claims: Mapping
    keyset: KeySet


def _verified() -> BoundedMap[str, _Verified]:
    return of_app(EXTENSION_KEY, CAPACITY)


def recalled(token_string: str, keyset: KeySet) -> dict | None:
    """The claims of ``token_string`` if this process verified it with ``keyset`` and it has
    not expired yet (a copy, the caller's to keep); else None: verify it."""
    verified = _verified().get(token_string)
    if verified is None or verified.keyset is not keyset or verified.claims["exp"] <= time.time():
        return None
    return dict(verified.claims)


def remember(token_string: str, keyset: KeySet, claims: dict) -> None:
    """Keep the claims of a token just verified with ``keyset``."""
    _verified().put(token_string, _Verified(dict(claims), keyset))
