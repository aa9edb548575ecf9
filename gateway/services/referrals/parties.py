"""The parties of a new referral, read in one query: both institutions, their active
partnerships, and the sender's record of the student (its birth date, if given).

The create's institution lookups then find the institutions in the session's identity map
(``institutions.by_ids``), and recording a birth date finds the
student's row there (``subjects.record_birth_date``), instead of querying again, as long as
the caller holds the returned rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from gateway.models import Institution, Partnership, Subject
from gateway.services.network import partnerships

# built once: partnerships.PAIR (one row per institution and active partnership), the
# sender's rows joined to the student's subject row when there is one
PARTIES = select(Institution, Partnership, Subject).select_from(Institution).outerjoin(
    Partnership, partnerships.PAIR_PARTNERSHIPS).outerjoin(Subject, and_(
        Subject.institution_id == Institution.id, Institution.id == bindparam("sender"),
        Subject.subject_key == bindparam("key"))).where(partnerships.PAIR_INSTITUTIONS)


@dataclass(frozen=True)
class Parties:
    """Both institutions with their active partnerships, and the student's row (or None)."""

    pair: partnerships.Pair
    subject: Subject | None


def load(session: Session, sender_id: uuid.UUID, recipient_id: uuid.UUID,
         subject_key: str) -> Parties:
    """Sender, recipient, their active partnerships and the sender's subject ``subject_key``."""
    a, b = partnerships.ordered(sender_id, recipient_id)
    found: dict[uuid.UUID, Institution] = {}
    active: dict[uuid.UUID, Partnership] = {}
    subject = None
    for institution, partnership, row in session.execute(
            PARTIES, {"a": a, "b": b, "sender": sender_id, "key": subject_key}):
        found[institution.id] = institution
        if partnership is not None:
            active[partnership.id] = partnership
        subject = subject or row
    return Parties(partnerships.Pair(found, list(active.values())), subject)
