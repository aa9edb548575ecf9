"""Who may no longer use the access tokens already issued: the whole deny state, read at once.

Access tokens are the gateway's own signed claims; a resource server trusts them for their
<= 300 s life except for what this returns: revoked token ids not yet expired, and clients that
are inactive, revoked since some time, or whose institution is inactive. It is small (a few
rows) and read at most once a second per process (``gateway/oauth/revocations.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from gateway.models import Client, Institution, RevokedToken, utcnow


@dataclass(frozen=True)
class DenyState:
    """Revoked jtis; dead clients; clients with the time (NumericDate) of their revocation."""

    jtis: frozenset[str] = frozenset()
    dead_clients: frozenset[str] = frozenset()
    revoked_at: dict[str, int] = field(default_factory=dict)

    def refuses(self, client_id: str, jti: str, issued_at: int | float) -> bool:
        """Whether a token of ``client_id`` with ``jti`` issued at ``issued_at`` is dead: a
        token issued up to a client's revocation stays dead after a reactivation (one of the
        revocation's second counts as earlier: a reactivated client simply asks again)."""
        if jti in self.jtis or client_id in self.dead_clients:
            return True
        revoked = self.revoked_at.get(client_id)
        return revoked is not None and issued_at <= revoked


def load(session: Session) -> DenyState:
    """The deny state now, in two queries."""
    jtis = frozenset(session.scalars(select(RevokedToken.jti).where(
        RevokedToken.expires_at > utcnow())))
    rows = session.execute(
        select(Client.client_id, Client.active, Client.revoked_at, Institution.active)
        .outerjoin(Institution, Institution.id == Client.institution_id)
        .where(or_(Client.active == false(), Client.revoked_at.is_not(None),
                   Institution.active == false())))
    dead, revoked = set(), {}
    for client_id, active, revoked_at, institution_active in rows:
        if not active or institution_active is False:
            dead.add(client_id)
        if revoked_at is not None:
            revoked[client_id] = int(revoked_at.timestamp())
    return DenyState(jtis, frozenset(dead), revoked)
