"""Pseudonyms: HMAC-SHA256 of a subject reference under a secret, scoped to institutions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from keys.store import ensure_private_dir, read_json_documents, write_private_json


@dataclass(frozen=True)
class PseudonymKey:
    """Derives stable, unlinkable pseudonyms; the secret never leaves this object."""

    secret: bytes

    @classmethod
    def load(cls, directory: Path) -> PseudonymKey:
        """Read the pseudonym secret from ``directory``."""
        documents = read_json_documents(directory)
        if not documents:
            raise FileNotFoundError(directory)
        return cls(bytes.fromhex(documents[0]["secret"]))

    @staticmethod
    def generate(directory: Path) -> None:
        """Create the pseudonym secret in ``directory`` (once; it must never change)."""
        ensure_private_dir(directory)
        write_private_json(directory / "pseudonym.json", {"secret": secrets.token_hex(32)})

    def derive(self, *scope: str) -> str:
        """A pseudonym for the tuple ``scope`` (e.g. owner id, viewer id, local reference)."""
        message = "\x1f".join(scope).encode()
        return "psn_" + hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]
