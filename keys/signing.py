"""Signing keys for access tokens and receipts, published as a JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from joserfc.jwk import ECKey, KeySet

from keys.store import ensure_private_dir, new_kid, read_json_documents, write_private_json

SIGNING_ALG = "ES256"


@dataclass(frozen=True)
class SigningKeys:
    """The gateway's ES256 keys: the newest signs, all of them verify until retired."""

    keys: tuple[ECKey, ...]

    @classmethod
    def load(cls, directory: Path) -> SigningKeys:
        """Read every signing key kept in ``directory``."""
        documents = read_json_documents(directory)
        return cls(tuple(ECKey.import_key(doc) for doc in documents))

    @staticmethod
    def generate(directory: Path) -> str:
        """Create a new signing key in ``directory``; it becomes the current one."""
        ensure_private_dir(directory)
        kid = new_kid()
        key = ECKey.generate_key(
            "P-256", parameters={"kid": kid, "alg": SIGNING_ALG, "use": "sig"}, private=True
        )
        write_private_json(directory / f"{kid}.jwk.json", key.as_dict(private=True))
        return kid

    @property
    def current(self) -> ECKey:
        """The key that signs new tokens."""
        return self.keys[-1]

    def verification_set(self) -> KeySet:
        """Public keys that verify tokens signed by this gateway (imported once, not for
        every request that presents a token)."""
        return self._public_keys

    @cached_property
    def _public_keys(self) -> KeySet:
        return KeySet([ECKey.import_key(key.as_dict(private=False)) for key in self.keys])

    def public_jwks(self) -> dict:
        """The JWKS document served at ``/.well-known/jwks.json``."""
        return {"keys": [key.as_dict(private=False) for key in self.keys]}
