"""The parties of a new referral, read in one query: both institutions, their active
partnerships, the sender's record of the student (its birth date, if given) and the student's
unrevoked consents.

The create's institution lookups find the institutions in the session's identity map
(``institutions.by_ids``), and recording a birth date finds the student's row there
(``subjects.record_birth_date``), instead of querying again, as long as the caller holds the
returned rows; the consent decision finds its facts remembered
(``consent.remember_loaded``), unless something changes them first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from gateway.models import Consent, Institution, Partnership, Subject
from gateway.services.network import partnerships
from gateway.services.privacy import consent

# built once: partnerships.PAIR (one row per institution and active partnership), the
# sender's rows joined to the student's subject row when there is one and to each of the
# student's unrevoked consents (the columns the consent rules read)
_SENDER, _KEY = bindparam("sender"), bindparam("key")
PARTIES = (
    select(Institution, Partnership, Subject, *consent.CONSENT_COLUMNS).select_from(Institution)
    .outerjoin(Partnership, partnerships.PAIR_PARTNERSHIPS)
    .outerjoin(Subject, and_(Subject.institution_id == Institution.id, Institution.id == _SENDER,
                             Subject.subject_key == _KEY))
    .outerjoin(Consent, and_(Institution.id == _SENDER, consent.unrevoked_of(Institution.id, _KEY)))
    .where(partnerships.PAIR_INSTITUTIONS).order_by(*consent.CONSENT_ORDER))


@dataclass(frozen=True)
class Parties:
    """Both institutions with their active partnerships, and the student's row (or None)."""

    pair: partnerships.Pair
    subject: Subject | None


def load(session: Session, sender_id: uuid.UUID, recipient_id: uuid.UUID,
         subject_key: str) -> Parties:
    """Sender, recipient, their active partnerships and the sender's subject ``subject_key``;
    the consent facts of sending that subject's data from the one to the other, remembered."""
    a, b = partnerships.ordered(sender_id, recipient_id)
    found: dict[uuid.UUID, Institution] = {}
    active: dict[uuid.UUID, Partnership] = {}
    subject = None
    rows = session.execute(PARTIES, {"a": a, "b": b, "sender": sender_id,
                                     "key": subject_key}).all()
    for institution, partnership, student, *_consent in rows:
        found[institution.id] = institution
        if partnership is not None:
            active[partnership.id] = partnership
        subject = subject or student
    pair = partnerships.Pair(found, list(active.values()))
    consent.remember_loaded(session, consent.SubjectRef(sender_id, subject_key), recipient_id,
                            found=found, birth_date=subject.birth_date if subject else None,
                            rows=rows, active=pair.active)
    return Parties(pair, subject)
