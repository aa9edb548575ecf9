"""The audit log's Ed25519 keys: the newest signs checkpoints, every older one still verifies.

A key file holds only the private seed; the key's signed-note name is the log's origin, given
when the keys are used, so the same key signs under whatever origin the gateway is configured
with (changing the origin starts, in effect, a new log).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.note import Signer, Verifier
from keys.store import ensure_private_dir, new_kid, read_json_documents, write_private_json


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class LogKeys:
    """The log's signing keys by id, oldest first."""

    keys: tuple[tuple[str, Ed25519PrivateKey], ...]

    @classmethod
    def load(cls, directory: Path) -> LogKeys:
        """Read every log key kept in ``directory``."""
        return cls(tuple(
            (doc["kid"], Ed25519PrivateKey.from_private_bytes(base64.b64decode(doc["seed"])))
            for doc in read_json_documents(directory)))

    @staticmethod
    def generate(directory: Path) -> str:
        """Create a new log key in ``directory``; it signs the next checkpoint."""
        ensure_private_dir(directory)
        kid = new_kid()
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        write_private_json(directory / f"{kid}.json",
                           {"kid": kid, "seed": base64.b64encode(seed).decode()})
        return kid

    def signer(self, origin: str) -> Signer:
        """The current key as a note signer named ``origin``."""
        return Signer(origin, self.keys[-1][1])

    def verifiers(self, origin: str) -> list[Verifier]:
        """Every key (newest first) as a note verifier named ``origin``."""
        return [Signer(origin, key).verifier for _, key in reversed(self.keys)]

    def public_jwks(self) -> list[dict]:
        """The public keys as OKP JWKs (RFC 8037) for the gateway's JWKS."""
        return [{"kty": "OKP", "crv": "Ed25519", "kid": f"audit-log-{kid}", "alg": "EdDSA",
                 "use": "sig", "x": _b64url(key.public_key().public_bytes_raw())}
                for kid, key in self.keys]
