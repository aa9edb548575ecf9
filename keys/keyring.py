"""The keyring of one gateway instance: signing keys, field KEKs, the pseudonym secret and the
audit log's keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keys.field import FieldKeyring
from keys.log import LogKeys
from keys.pseudonym import PseudonymKey
from keys.signing import SigningKeys


class KeyMaterialMissing(RuntimeError):
    """The key directory lacks material; run ``python -m keys init DIR``."""


@dataclass(frozen=True)
class Keyring:
    """All key material the gateway uses, loaded from one directory."""

    directory: Path
    signing: SigningKeys
    field: FieldKeyring
    pseudonyms: PseudonymKey
    log: LogKeys

    @classmethod
    def load(cls, directory: Path) -> Keyring:
        """Load the keyring; raise :class:`KeyMaterialMissing` if any part is absent."""
        try:
            signing = SigningKeys.load(directory / "signing")
            if not signing.keys:
                raise FileNotFoundError(directory / "signing")
            field = FieldKeyring.load(directory / "field")
            pseudonyms = PseudonymKey.load(directory / "pseudonym")
            log = LogKeys.load(directory / "log")
            if not log.keys:
                raise FileNotFoundError(directory / "log")
        except FileNotFoundError as exc:
            raise KeyMaterialMissing(
                f"key material missing under {directory}; run 'python -m keys init {directory}'"
            ) from exc
        return cls(directory, signing, field, pseudonyms, log)

    @staticmethod
    def initialise(directory: Path) -> list[str]:
        """Create whatever key material is missing in ``directory``; return what was made."""
        made = []
        if not SigningKeys.load(directory / "signing").keys:
            made.append("signing key " + SigningKeys.generate(directory / "signing"))
        if not list((directory / "field").glob("*.json")):
            made.append("field KEK " + FieldKeyring.generate(directory / "field"))
        if not list((directory / "pseudonym").glob("*.json")):
            PseudonymKey.generate(directory / "pseudonym")
            made.append("pseudonym secret")
        if not LogKeys.load(directory / "log").keys:
            made.append("audit log key " + LogKeys.generate(directory / "log"))
        return made

    def public_jwks(self) -> dict:
        """The JWKS document: token signing keys and the audit log's checkpoint keys."""
        return {"keys": self.signing.public_jwks()["keys"] + self.log.public_jwks()}
