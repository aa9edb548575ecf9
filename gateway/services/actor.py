"""Who is acting: a partner's client, a coordinator or a system process of the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


class Labelled(Protocol):
    """Anything the audit log can name (a coordinator account)."""

    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a client authenticated by token, or a named non-client actor."""

    client_id: str | None
    institution_id: uuid.UUID | None
    scopes: frozenset[str]
    name: str | None = None

    @classmethod
    def system(cls, process: str) -> Actor:
        """A process of the gateway itself (``scheduler``, ``delivery``, ``cli``, ``demo``)."""
        return cls(client_id=None, institution_id=None, scopes=frozenset(), name=process)

    @classmethod
    def anonymous(cls) -> Actor:
        """Someone not (yet) authenticated, such as a sign-in with an unknown e-mail address."""
        return cls(client_id=None, institution_id=None, scopes=frozenset(), name="anonymous")

    @classmethod
    def coordinator(cls, coordinator: Labelled) -> Actor:
        """A coordinator signed in to the admin UI."""
        return cls(client_id=None, institution_id=None, scopes=frozenset(),
                   name=coordinator.label)

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return self.name or f"client:{self.client_id}"
