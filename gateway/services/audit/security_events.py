"""Refusals that matter for security (failed client authentication, refused consent, a
replayed client assertion) logged in their own short transaction, so the refused request's
rollback does not take them along, and rate-limited, so a flood cannot fill the disk.

The limit is an in-process token bucket per (kind, source): each gateway process admits at
most ``burst`` events at once and ``per_minute`` afterwards for one kind from one source (so
N workers admit at most N times that). Refused events are counted and the next admitted one
carries the count as ``suppressed``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from gateway.services.actor import Actor
from gateway.services.audit import journal

CLIENT_AUTH_FAILED = "security.client_auth_failed"
CONSENT_REFUSED = "security.consent_refused"
ASSERTION_REPLAYED = "security.assertion_replayed"


@dataclass
class TokenBucket:
    """Tokens per key, refilled continuously; thread-safe."""

    burst: int
    per_minute: float
    _state: dict[tuple[str, str], tuple[float, float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: tuple[str, str], now: float | None = None) -> tuple[bool, int]:
        """Take a token for ``key``: (admitted, events suppressed before this one)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last, suppressed = self._state.get(key, (float(self.burst), now, 0))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60)
            if tokens < 1:
                self._state[key] = (tokens, now, suppressed + 1)
                return False, suppressed + 1
            self._state[key] = (tokens - 1, now, 0)
            return True, suppressed


def record(sessions: sessionmaker[Session], bucket: TokenBucket, actor: Actor,
           kind: str, source: str, object_type: str, object_id: object = None, *,
           detail: dict | None = None) -> bool:
    """Commit one failure entry in a transaction of its own; False when rate-limited.

    ``source`` (a client id or institution id, never personal data) keys the rate limit.
    """
    admitted, suppressed = bucket.take((kind, source[:64]))
    if not admitted:
        return False
    detail = dict(detail or {})
    if suppressed:
        detail["suppressed"] = suppressed
    with sessions() as session, session.begin():
        journal.record(session, actor, kind, object_type, object_id, outcome=journal.FAILURE,
                       detail=detail)
    return True
