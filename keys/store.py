"""Private files for key material: created 0600 inside a 0700 directory, never overwritten."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path


def new_kid() -> str:
    """A key id that sorts by creation time and is unique across hosts."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if needed and return it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private_json(path: Path, document: dict) -> None:
    """Write ``document`` to a new file readable by the owner only; refuse to overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


def read_json_documents(directory: Path) -> list[dict]:
    """All JSON documents in ``directory``, sorted by file name (oldest key first)."""
    if not directory.is_dir():
        return []
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    ]
