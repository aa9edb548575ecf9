"""Text a database can store: no NUL character (PostgreSQL text cannot hold it) and no unpaired
UTF-16 surrogate (JSON's ``"\\ud800"`` decodes to one; it cannot be encoded as UTF-8)."""

from __future__ import annotations

import re
from collections.abc import Mapping

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(value: object, path: str = "") -> tuple[str, str] | None:
    """The dotted path of the first string in ``value`` (keys included) that cannot be stored,
    and why; ``None`` when every string is storable."""
    if isinstance(value, str):
        match = UNSTORABLE.search(value)
        if match is None:
            return None
        reason = "a NUL character" if match.group() == "\x00" else "an unpaired surrogate"
        return path, f"Text may not contain {reason}."
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = unstorable_text(key, where) or unstorable_text(item, where)
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = unstorable_text(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None
