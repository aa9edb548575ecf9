"""Envelope encryption of personal fields with AES-256-GCM.

Each value gets its own data key; the data key is wrapped by a key-encryption key (KEK) whose
id is stored beside the ciphertext, so KEKs can rotate while old values stay readable, and
``rewrap`` moves a value to the current KEK without touching its ciphertext.

A keyring remembers the plaintexts of the last :data:`PLAINTEXTS_KEPT` short values it
decrypted (a stored text of at most :data:`REMEMBERED_TEXT_CHARS`: a long summary or an
attachment is decrypted on every read), by their exact stored text. A value is one data key and
one ciphertext, authenticated, so the same text always opens to the same plaintext, and an
inbox read again and again (a hospital polls its first page) costs two AES-GCM operations and
two base64 decodings per field once, not on every read. Only this keyring remembers them: a
keyring loaded afresh (a KEK rotated or removed) decrypts afresh, and a value changed in the
database is a new text. Nothing more is exposed than before: the process holding the
plaintexts holds the KEKs that decrypt every value.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.store import ensure_private_dir, new_kid, read_json_documents, write_private_json

FORMAT = "gw1"
NONCE_BYTES = 12
PLAINTEXTS_KEPT = 4096  # a thousand referrals' fields and birth dates: the first pages a busy
# hour reads; at most some 15 MB a process with the bound below (a few MB as values run)
REMEMBERED_TEXT_CHARS = 2048


class UndecryptableValue(Exception):
    """A stored value cannot be decrypted: unknown KEK, wrong context or tampered bytes."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: bytes | AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    return nonce + aead.encrypt(nonce, plaintext, aad)


def _open(key: bytes | AESGCM, sealed: bytes, aad: bytes) -> bytes:
    aead = key if isinstance(key, AESGCM) else AESGCM(key)
    return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


@dataclass(frozen=True)
class FieldKeyring:
    """Key-encryption keys by id; the newest wraps new data keys."""

    keks: dict[str, bytes]
    current_kid: str

    @classmethod
    def load(cls, directory: Path) -> FieldKeyring:
        """Read every KEK kept in ``directory``."""
        documents = read_json_documents(directory)
        if not documents:
            raise FileNotFoundError(directory)
        keks = {doc["kid"]: _unb64(doc["k"]) for doc in documents}
        return cls(keks, documents[-1]["kid"])

    @staticmethod
    def generate(directory: Path) -> str:
        """Create a new 256-bit KEK in ``directory``; it becomes the current one."""
        ensure_private_dir(directory)
        kid = new_kid()
        document = {"kid": kid, "k": _b64(secrets.token_bytes(32))}
        write_private_json(directory / f"{kid}.json", document)
        return kid

    @cached_property
    def _kek_aeads(self) -> dict[str, AESGCM]:
        """An AES-GCM instance per KEK, built once: every value's data key is unwrapped by one."""
        return {kid: AESGCM(kek) for kid, kek in self.keks.items()}

    def encrypt(self, plaintext: str, context: str) -> str:
        """Encrypt ``plaintext``, binding ``context`` (e.g. ``table.column``) as associated data."""
        data_key = AESGCM.generate_key(bit_length=256)
        aad = context.encode()
        body = _seal(data_key, plaintext.encode(), aad)
        wrapped = _seal(self._kek_aeads[self.current_kid], data_key,
                        self.current_kid.encode() + aad)
        return ".".join((FORMAT, self.current_kid, _b64(wrapped), _b64(body)))

    @cached_property
    def _remembered_decrypt(self) -> Callable[[str, str], str]:
        # lru_cache: bounded, thread-safe, and an exception (a tampered value) is never kept
        return lru_cache(maxsize=PLAINTEXTS_KEPT)(self._decrypt)

    def decrypt(self, token: str, context: str) -> str:
        """Decrypt a value made by :meth:`encrypt` under the same ``context``."""
        if len(token) > REMEMBERED_TEXT_CHARS:
            return self._decrypt(token, context)
        return self._remembered_decrypt(token, context)

    def _decrypt(self, token: str, context: str) -> str:
        data_key, body = self._unwrap(token, context)
        try:
            return _open(data_key, body, context.encode()).decode()
        except InvalidTag as exc:
            raise UndecryptableValue("field ciphertext failed authentication") from exc

    def rewrap(self, token: str, context: str) -> str:
        """Re-wrap the data key of ``token`` under the current KEK; the body is unchanged."""
        data_key, body = self._unwrap(token, context)
        aad = self.current_kid.encode() + context.encode()
        wrapped = _seal(self._kek_aeads[self.current_kid], data_key, aad)
        return ".".join((FORMAT, self.current_kid, _b64(wrapped), _b64(body)))

    @staticmethod
    def kid_of(token: str) -> str:
        """The id of the KEK that wraps ``token``."""
        return token.split(".", 2)[1]

    def _unwrap(self, token: str, context: str) -> tuple[bytes, bytes]:
        try:
            fmt, kid, wrapped, body = token.split(".")
        except ValueError as exc:
            raise UndecryptableValue("not an encrypted field value") from exc
        if fmt != FORMAT or kid not in self.keks:
            raise UndecryptableValue("unknown format or key id")
        try:
            data_key = _open(self._kek_aeads[kid], _unb64(wrapped),
                             kid.encode() + context.encode())
        except InvalidTag as exc:
            raise UndecryptableValue("wrapped data key failed authentication") from exc
        return data_key, _unb64(body)
