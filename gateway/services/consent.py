"""Consent: the one place that decides whether personal data about a student may be shared."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Consent, Grantor, Purpose, utcnow
from gateway.services import audit, institutions
from gateway.services.actor import Actor
from gateway.services.errors import ConsentRequired, Forbidden, InvalidInput, NotFound

MAX_VALIDITY = timedelta(days=366)


@dataclass(frozen=True)
class Decision:
    """The answer of :func:`authorise`: allowed or not, under which consent, and why not."""

    allowed: bool
    consent_id: uuid.UUID | None = None
    reason: str | None = None


def _own_institution(actor: Actor) -> uuid.UUID:
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may do this.")
    return actor.institution_id


def grant(
    session: Session,
    actor: Actor,
    *,
    subject_key: str,
    grantor: Grantor,
    purpose: Purpose,
    recipient_id: uuid.UUID,
    valid_until: datetime,
    valid_from: datetime | None = None,
) -> Consent:
    """Record a consent given to the actor's institution for one purpose and recipient."""
    holder = _own_institution(actor)
    institutions.get_active(session, recipient_id)
    start = valid_from or utcnow()
    if valid_until <= start:
        raise InvalidInput("valid_until must be after valid_from.")
    if valid_until - start > MAX_VALIDITY:
        raise InvalidInput("a consent may be valid for at most 366 days.")
    if recipient_id == holder:
        raise InvalidInput("the recipient must be another institution.")
    consent = Consent(
        institution_id=holder,
        subject_key=subject_key,
        grantor=grantor,
        purpose=purpose,
        recipient_id=recipient_id,
        valid_from=start,
        valid_until=valid_until,
        created_by=actor.client_id,
    )
    session.add(consent)
    session.flush()
    audit.record(session, actor, "consent.granted", "consent", consent.id, purpose=purpose.value,
                 consent_id=consent.id, detail={"grantor": grantor.value,
                                                "recipient_id": str(recipient_id)})
    return consent


def get_own(session: Session, actor: Actor, consent_id: uuid.UUID) -> Consent:
    """A consent held by the actor's institution, or :class:`NotFound`."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.institution_id != _own_institution(actor):
        raise NotFound("No consent with that id.")
    return consent


def revoke(session: Session, actor: Actor, consent_id: uuid.UUID, reason: str) -> Consent:
    """Revoke a consent; from now on it covers no new exchange."""
    consent = get_own(session, actor, consent_id)
    if consent.revoked_at is not None:
        raise InvalidInput("the consent is already revoked.")
    consent.revoked_at = utcnow()
    consent.revocation_reason = reason
    audit.record(session, actor, "consent.revoked", "consent", consent.id,
                 purpose=consent.purpose.value, consent_id=consent.id)
    session.flush()
    return consent


def authorise(
    session: Session,
    actor: Actor,
    subject_key: str,
    purpose: Purpose,
    recipient_id: uuid.UUID,
) -> Decision:
    """Decide whether the actor's institution may share data about the subject.

    A consent must be held by the actor's institution, name this purpose and recipient, and
    be in force now (started, not expired, not revoked).
    """
    holder = _own_institution(actor)
    now = utcnow()
    candidates = session.scalars(
        select(Consent)
        .where(
            Consent.institution_id == holder,
            Consent.subject_key == subject_key,
            Consent.purpose == purpose,
            Consent.recipient_id == recipient_id,
            Consent.revoked_at.is_(None),
        )
        .order_by(Consent.valid_until.desc())
    )
    for consent in candidates:
        if consent.is_valid_at(now):
            return Decision(True, consent_id=consent.id)
    return Decision(False, reason=f"no valid '{purpose.value}' consent for this recipient")


def require(
    session: Session, actor: Actor, subject_key: str, purpose: Purpose, recipient_id: uuid.UUID
) -> Decision:
    """:func:`authorise`, raising :class:`ConsentRequired` (naming what is missing) if denied."""
    decision = authorise(session, actor, subject_key, purpose, recipient_id)
    if not decision.allowed:
        raise ConsentRequired(
            f"No valid consent covers purpose '{purpose.value}' for the recipient institution.",
            missing_consent={"purpose": purpose.value,
                             "recipient_institution_id": str(recipient_id)},
        )
    return decision
