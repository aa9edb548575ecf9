"""The keyring of one gateway instance: signing keys, field KEKs and the pseudonym secret."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from keys.field import FieldKeyring
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

    @classmethod
    def load(cls, directory: Path) -> Keyring:
        """Load the keyring; raise :class:`KeyMaterialMissing` if any part is absent."""
        try:
            signing = SigningKeys.load(directory / "signing")
            if not signing.keys:
                raise FileNotFoundError(directory / "signing")
            field = FieldKeyring.load(directory / "field")
            pseudonyms = PseudonymKey.load(directory / "pseudonym")
        except FileNotFoundError as exc:
            raise KeyMaterialMissing(
                f"key material missing under {directory}; run 'python -m keys init {directory}'"
            ) from exc
        return cls(directory, signing, field, pseudonyms)

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
        return made
