"""The access report for one student (PIPL art. 44-45, the right to know): every exchange and
read of the subject's data recorded in the audit log, for the institution that holds them.

Each line carries its leaf index (None until the next seal), so the report can be checked
against the log with an inclusion proof (``GET /audit/entries/{index}``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, BreakGlassRelease, Case, Consent, Referral
from gateway.services.actor import Actor
from gateway.services.errors import Forbidden
from gateway.services.privacy.subjects import subject_key
from keys.pseudonym import PseudonymKey


@dataclass(frozen=True)
class AccessLine:
    """Who did what, when, why, under which consent or break-glass; where it is in the log."""

    leaf_index: int | None
    recorded_at: datetime
    actor: str
    actor_institution_id: str | None
    action: str
    object_type: str
    object_id: str | None
    purpose: str | None
    consent_id: str | None
    breakglass_id: str | None
    outcome: str


def _object_ids(session: Session, holder: uuid.UUID, key: str) -> tuple[set[str], set[str]]:
    """Ids of the holder's objects about the subject, and of its consents among them."""
    consents = {str(i) for i in session.scalars(select(Consent.id).where(
        Consent.institution_id == holder, Consent.subject_key == key))}
    objects = set(consents)
    for model, owner in ((Referral, Referral.sender_id), (Case, Case.institution_id),
                         (BreakGlassRelease, BreakGlassRelease.institution_id)):
        objects |= {str(i) for i in session.scalars(select(model.id).where(
            owner == holder, model.subject_key == key))}
    return objects, consents


def _breakglass_of(entry: AuditEntry, releases: set[str]) -> str | None:
    if entry.object_type == "breakglass_release":
        return entry.object_id
    found = (entry.detail or {}).get("breakglass_id")
    return str(found) if found and str(found) in releases else None


def for_caller(session: Session, actor: Actor, pseudonyms: PseudonymKey,
               subject_ref: str) -> list[AccessLine]:
    """The report on one of the calling institution's students."""
    if actor.institution_id is None:
        raise Forbidden("Only the institution that holds the student may ask.")
    return for_subject(session, actor.institution_id, pseudonyms, subject_ref)


def for_subject(session: Session, holder_id: uuid.UUID, pseudonyms: PseudonymKey,
                subject_ref: str) -> list[AccessLine]:
    """Every audit entry about ``subject_ref`` of ``holder_id``, oldest first."""
    key = subject_key(pseudonyms, holder_id, subject_ref)
    objects, consents = _object_ids(session, holder_id, key)
    if not objects:
        return []
    releases = {str(i) for i in session.scalars(select(BreakGlassRelease.id).where(
        BreakGlassRelease.subject_key == key,
        BreakGlassRelease.institution_id == holder_id))}
    query = (select(AuditEntry)
             .where(or_(AuditEntry.object_id.in_(objects), AuditEntry.consent_id.in_(consents)))
             .order_by(AuditEntry.seq))
    return [AccessLine(e.leaf_index, e.recorded_at, e.actor, e.actor_institution_id, e.action,
                       e.object_type, e.object_id, e.purpose, e.consent_id,
                       _breakglass_of(e, releases), e.outcome)
            for e in session.scalars(query)]
