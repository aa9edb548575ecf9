"""C2SP tlog-checkpoint: ``<origin>\\n<tree size>\\n<base64 root hash>\\n`` on a signed note."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from gateway.audit import note

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log, how many leaves, and the root hash."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The checkpoint as note text, exact to the byte."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_body(text: str) -> Checkpoint:
    """Read checkpoint text (extension lines after the third are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise note.NoteError("malformed checkpoint")
    origin, size, root = lines[:3]
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error as exc:
        raise note.NoteError("malformed checkpoint root hash") from exc
    if not _SIZE.fullmatch(size) or len(digest) != 32:
        raise note.NoteError("malformed checkpoint size or root hash")
    return Checkpoint(origin, int(size), digest)


def sign_checkpoint(checkpoint: Checkpoint, signer: note.Signer) -> str:
    """The signed checkpoint note."""
    return note.sign(checkpoint.body(), signer)


def open_checkpoint(signed: str, verifiers: list[note.Verifier],
                    origin: str | None = None) -> tuple[Checkpoint, note.Verifier]:
    """Verify a checkpoint note with any of the log's keys; check its origin if given."""
    text, verifier = note.open_with_any(signed, verifiers)
    checkpoint = parse_body(text)
    if origin is not None and checkpoint.origin != origin:
        raise note.NoteError(f"checkpoint is for another log: {checkpoint.origin}")
    return checkpoint, verifier
