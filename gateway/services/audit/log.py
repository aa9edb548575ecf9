"""The log's identity for this gateway: its origin and the keys that sign and verify it."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.audit.note import Signer, Verifier
from keys.log import LogKeys


@dataclass(frozen=True)
class LogIdentity:
    """Origin line, current signer and every verifier (rotated keys included)."""

    origin: str
    signer: Signer
    verifiers: list[Verifier]

    @classmethod
    def of(cls, keys: LogKeys, origin: str) -> LogIdentity:
        """The identity ``keys`` give the log named ``origin``."""
        return cls(origin, keys.signer(origin), keys.verifiers(origin))

    def vkeys(self) -> list[str]:
        """The verifier key strings, newest first."""
        return [verifier.vkey() for verifier in self.verifiers]
