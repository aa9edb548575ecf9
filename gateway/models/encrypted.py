"""A column type whose values are encrypted at rest with the field keyring from ``keys/``.

The keyring is bound to an engine (the app's, see :func:`gateway.keystore.init_keys`): values
are encrypted and decrypted with the keyring of the engine they travel through, so two apps
with different key directories can live in one process.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Text, TypeDecorator
from sqlalchemy.engine import Dialect

from keys.field import FieldKeyring

_keyrings: WeakKeyDictionary[Dialect, FieldKeyring] = WeakKeyDictionary()


def bind_field_keyring(engine: Engine, keyring: FieldKeyring) -> None:
    """Encrypt and decrypt the personal fields that pass through ``engine`` with ``keyring``."""
    _keyrings[engine.dialect] = keyring


def field_keyring_of(dialect: Dialect) -> FieldKeyring:
    """The keyring bound to the engine of ``dialect``."""
    try:
        return _keyrings[dialect]
    except KeyError:
        raise RuntimeError("no field keyring bound to this engine; create the app first") from None


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with AES-256-GCM envelope encryption, bound to ``context``."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else field_keyring_of(dialect).encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else field_keyring_of(dialect).decrypt(value, self.context)
