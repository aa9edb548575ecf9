"""What a leaf is: the canonical bytes of one audit entry, shared by the log and its verifiers.

An entry is a JSON object with exactly :data:`FIELDS`; its leaf bytes are that object (with
its ``leaf_index``) as UTF-8 JSON with sorted keys and no spaces, so a verifier rebuilds them
from an exported line without knowing the database.
"""

from __future__ import annotations

import json

from gateway.audit import tlog

FIELDS = (
    "leaf_index", "recorded_at", "actor", "actor_institution_id", "action", "object_type",
    "object_id", "purpose", "consent_id", "outcome", "request_id", "detail",
)


class EntryError(ValueError):
    """An exported entry is not a well-formed audit entry."""


def leaf_bytes(entry: dict) -> bytes:
    """The canonical bytes of ``entry`` (which must hold exactly :data:`FIELDS`)."""
    if set(entry) != set(FIELDS):
        raise EntryError("entry fields differ from the audit entry format")
    return json.dumps(entry, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def leaf_hash(entry: dict) -> bytes:
    """The Merkle leaf hash of ``entry``."""
    return tlog.hash_leaf(leaf_bytes(entry))
