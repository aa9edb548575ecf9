"""C2SP signed-note with Ed25519 keys (as Go's ``golang.org/x/mod/sumdb/note``).

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <name> base64(key hash (4 bytes) || signature)``. A key is named and identified by its
hash: the first four bytes of SHA-256(name || "\\n" || type byte || public key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash and a space
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A malformed note or key, or a note without a signature by a trusted key."""


def key_hash(name: str, alg: int, public_key: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name || 0x0A || alg || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_key).digest()[:4]


def check_name(name: str) -> str:
    """A key name is non-empty UTF-8 without spaces or '+'."""
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")
    return name


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """One named public key that checks signatures of one type."""

    name: str
    alg: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte key hash signature lines start with."""
        return key_hash(self.name, self.alg, self.public_key)

    def vkey(self) -> str:
        """The verifier key string ``<name>+<hash hex>+<base64(alg || key)>``."""
        data = base64.b64encode(bytes([self.alg]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{data}"

    def verify_ed25519(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_vkey(vkey: str) -> Verifier:
    """Read a verifier key string, checking that its hash matches its name and key."""
    try:
        name, hash_hex, data = vkey.split("+", 2)
        raw = base64.b64decode(data, validate=True)
        expected = bytes.fromhex(hash_hex)
    except (ValueError, binascii.Error) as exc:
        raise NoteError("malformed verifier key") from exc
    if len(raw) != 33 or len(hash_hex) != 8:
        raise NoteError("verifier key is not an Ed25519 key")
    verifier = Verifier(check_name(name), raw[0], raw[1:])
    if verifier.key_id != expected:
        raise NoteError("verifier key hash does not match its name and key")
    return verifier


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key under a name: signs note text."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        """The public half, as a note verifier."""
        return Verifier(self.name, ALG_ED25519, raw_public(self.private_key.public_key()))

    def signature_line(self, text: str) -> str:
        """``— name base64(key id || Ed25519(text))`` with its newline."""
        signature = self.private_key.sign(text.encode())
        return _line(self.name, self.verifier.key_id + signature)


def _line(name: str, blob: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def check_text(text: str) -> str:
    """Note text is non-empty, ends in a newline and has no control characters but newline."""
    if not text.endswith("\n") or any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text must end in a newline and hold no control characters")
    return text


def sign(text: str, *signers: Signer) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    check_text(text)
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key id and the signature bytes after the id."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        """The line as it appears in the note."""
        return _line(self.name, self.key_id + self.signature)


def split(note: str) -> tuple[str, list[Signature]]:
    """The text and the signature lines of a note (nothing verified yet)."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError("malformed note: no signature block")
    text = check_text(text + "\n")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("malformed signature line")
        name, _, data = line[len(SIGNATURE_PREFIX):].partition(" ")
        try:
            blob = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise NoteError("malformed signature line") from exc
        if len(blob) < 5 or " " in data:
            raise NoteError("malformed signature line")
        signatures.append(Signature(check_name(name), blob[:4], blob[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return text, signatures


def open_note(note: str, verifier: Verifier) -> str:
    """The text of ``note`` if it carries a valid signature by ``verifier``; else NoteError."""
    text, signatures = split(note)
    for sig in signatures:
        if (sig.name, sig.key_id) == (verifier.name, verifier.key_id):
            if verifier.alg == ALG_ED25519 and verifier.verify_ed25519(text.encode(),
                                                                       sig.signature):
                return text
            raise NoteError(f"bad signature by {verifier.name}")
    raise NoteError(f"note is not signed by {verifier.name}+{verifier.key_id.hex()}")


def open_with_any(note: str, verifiers: list[Verifier]) -> tuple[str, Verifier]:
    """The text and the first of ``verifiers`` that signed ``note``."""
    _, signatures = split(note)
    ids = {(s.name, s.key_id) for s in signatures}
    for verifier in verifiers:
        if (verifier.name, verifier.key_id) in ids:
            return open_note(note, verifier), verifier
    raise NoteError("note is not signed by any known key")


def parse_skey(skey: str) -> tuple[Signer, int]:
    """Read a signer key ``PRIVATE+KEY+<name>+<hash>+<base64(alg || seed)>``; return it and alg."""
    try:
        private, key, name, hash_hex, data = skey.split("+", 4)
        raw = base64.b64decode(data, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise NoteError("malformed signer key") from exc
    if (private, key) != ("PRIVATE", "KEY") or len(raw) != 33:
        raise NoteError("malformed signer key")
    signer = Signer(check_name(name), Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if key_hash(name, raw[0], raw_public(signer.private_key.public_key())).hex() != hash_hex:
        raise NoteError("signer key hash does not match its name and key")
    return signer, raw[0]


def format_skey(signer: Signer, alg: int = ALG_ED25519) -> str:
    """The signer key string of ``signer`` for signature type ``alg``."""
    seed = signer.private_key.private_bytes_raw()
    public = raw_public(signer.private_key.public_key())
    data = base64.b64encode(bytes([alg]) + seed).decode()
    return f"PRIVATE+KEY+{signer.name}+{key_hash(signer.name, alg, public).hex()}+{data}"
