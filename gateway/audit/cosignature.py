"""C2SP tlog-cosignature v1 (Ed25519): a witness's timestamped signature on a checkpoint."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gateway.audit import note

ALG_COSIGNATURE = 0x04
HEADER = "cosignature/v1\n"


def signed_message(body: str, timestamp: int) -> bytes:
    """``cosignature/v1``, ``time <t>``, then the checkpoint body."""
    return f"{HEADER}time {timestamp}\n{body}".encode()


def cosigner_verifier(name: str, public_key: bytes) -> note.Verifier:
    """A witness's key as a note verifier of signature type 0x04."""
    return note.Verifier(note.check_name(name), ALG_COSIGNATURE, public_key)


def cosign(body: str, signer: note.Signer, timestamp: int) -> str:
    """The cosignature line for checkpoint ``body`` at ``timestamp`` (seconds)."""
    if not 0 <= timestamp < 2**63:
        raise note.NoteError("cosignature timestamp out of range")
    key_id = note.key_hash(signer.name, ALG_COSIGNATURE,
                           note.raw_public(signer.private_key.public_key()))
    signature = signer.private_key.sign(signed_message(body, timestamp))
    return note.Signature(signer.name, key_id, struct.pack(">Q", timestamp) + signature).line


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, when (POSIX seconds), and the line itself."""

    name: str
    timestamp: int
    line: str


def verify_cosignature(body: str, line: str, verifier: note.Verifier) -> Cosignature:
    """Check one cosignature line on checkpoint ``body``; raise NoteError if it is bad."""
    _, signatures = note.split(note.check_text(body) + "\n" + line.rstrip("\n") + "\n")
    sig = signatures[0]
    if (len(signatures) != 1 or len(sig.signature) != 72
            or (sig.name, sig.key_id) != (verifier.name, verifier.key_id)):
        raise note.NoteError("cosignature is not by this witness")
    timestamp = struct.unpack(">Q", sig.signature[:8])[0]
    if not verifier.verify_ed25519(signed_message(body, timestamp), sig.signature[8:]):
        raise note.NoteError("bad cosignature")
    return Cosignature(sig.name, timestamp, sig.line)
