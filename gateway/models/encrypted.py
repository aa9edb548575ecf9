"""A column type whose values are encrypted at rest with the field keyring from ``keys/``."""

from __future__ import annotations

from sqlalchemy import Text, TypeDecorator

from keys.field import FieldKeyring

_active: dict[str, FieldKeyring] = {}


def use_field_keyring(keyring: FieldKeyring) -> None:
    """Set the keyring this process encrypts and decrypts personal fields with."""
    _active["keyring"] = keyring


def field_keyring() -> FieldKeyring:
    """The keyring set by :func:`use_field_keyring`."""
    try:
        return _active["keyring"]
    except KeyError:
        raise RuntimeError("no field keyring configured; create the app first") from None


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with AES-256-GCM envelope encryption, bound to ``context``."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else field_keyring().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else field_keyring().decrypt(value, self.context)
