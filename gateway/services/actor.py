"""Who is acting: the authenticated client, its institution and its granted scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The caller of a service, as established by authentication."""

    client_id: str
    institution_id: uuid.UUID | None
    scopes: frozenset[str]

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return f"client:{self.client_id}"
