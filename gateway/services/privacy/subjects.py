"""Subject pseudonyms and the one fact kept about a student: the date of birth (encrypted)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.models import Subject
from gateway.services.errors import InvalidInput
from keys.pseudonym import PseudonymKey


def subject_key(pseudonyms: PseudonymKey, institution_id: uuid.UUID, subject_ref: str) -> str:
    """The gateway's key for a student of ``institution_id`` (its local reference hashed)."""
    return pseudonyms.derive("subject", str(institution_id), subject_ref)


def pair_pseudonym(
    pseudonyms: PseudonymKey, owner_id: uuid.UUID, viewer_id: uuid.UUID, subject_ref: str
) -> str:
    """How ``viewer_id`` knows the student: differs per institution pair, so partners can't link."""
    return pseudonyms.derive("pair", str(owner_id), str(viewer_id), subject_ref)


# built once: asked when a birth date is recorded (the consent decision reads birth dates
# with the consents: gateway/services/privacy/consent.py)
ONE = select(Subject).where(Subject.institution_id == bindparam("holder"),
                            Subject.subject_key == bindparam("key"))


def _held(session: Session, wanted: set[tuple[uuid.UUID, str]]) -> list[Subject]:
    """The subjects (holder, key) in ``wanted`` that the session's identity map holds."""
    return [row for row in session.identity_map.values()
            if isinstance(row, Subject) and (row.institution_id, row.subject_key) in wanted]


def _find(session: Session, institution_id: uuid.UUID, key: str) -> Subject | None:
    held = _held(session, {(institution_id, key)})
    return held[0] if held else session.scalar(ONE, {"holder": institution_id, "key": key})


def record_birth_date(session: Session, institution_id: uuid.UUID, key: str,
                      value: date) -> Subject:
    """Record the subject's date of birth; a different date than the one on record is refused.

    The row is returned: while the caller holds it, a lookup of the same subject finds it in
    the session's (weak) identity map instead of querying again.
    """
    subject = _find(session, institution_id, key)
    if subject is None:
        subject = Subject(institution_id=institution_id, subject_key=key,
                          birth_date=value.isoformat())
        session.add(subject)
        session.flush()
    elif subject.birth_date != value.isoformat():
        raise InvalidInput("The date of birth differs from the one on record for this student.")
    return subject
