"""Subject pseudonyms: students are never stored or shown under their institution's own id."""

from __future__ import annotations

import uuid

from keys.pseudonym import PseudonymKey


def subject_key(pseudonyms: PseudonymKey, institution_id: uuid.UUID, subject_ref: str) -> str:
    """The gateway's key for a student of ``institution_id`` (its local reference hashed)."""
    return pseudonyms.derive("subject", str(institution_id), subject_ref)


def pair_pseudonym(
    pseudonyms: PseudonymKey, owner_id: uuid.UUID, viewer_id: uuid.UUID, subject_ref: str
) -> str:
    """How ``viewer_id`` knows the student: differs per institution pair, so partners can't link."""
    return pseudonyms.derive("pair", str(owner_id), str(viewer_id), subject_ref)
