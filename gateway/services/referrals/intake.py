"""Referral intake: creation under consent (idempotent on request), submitted at once.

Who may see a referral is :mod:`gateway.services.referrals.access`, how it moves on
:mod:`gateway.services.referrals.lifecycle`, reads and listings
:mod:`gateway.services.referrals.reads`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import (
    Campus,
    Exchange,
    IdempotencyRecord,
    InstitutionKind,
    Priority,
    Purpose,
    Referral,
    ReferralReason,
    ReferralStatus,
    utcnow,
)
from gateway.services import row_queue
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import casework
from gateway.services.errors import (
    ConsentRequired,
    DiagnosisReserved,
    Forbidden,
    IdempotencyKeyReused,
    InvalidInput,
)
from gateway.services.network import campuses, institutions, partnerships
from gateway.services.privacy import breakglass, consent, disclosure, minimise, subjects
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import lifecycle, parties
from keys.pseudonym import PseudonymKey

RECIPIENT_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.COUNSELLING_AGENCY}


@dataclass(frozen=True)
class NewReferral:
    """What a sender asks for (already validated by the wire schema)."""

    recipient_id: uuid.UUID | None  # None: the campus's default green-channel recipient
    subject_ref: str
    priority: Priority
    reason: ReferralReason
    summary: str | None = None
    diagnosis_code: str | None = None
    personal: dict = field(default_factory=dict)
    emergency_justification: str | None = None
    case_id: uuid.UUID | None = None
    campus_id: uuid.UUID | None = None
    draft: bool = False
    part_of_id: uuid.UUID | None = None

    @property
    def purpose(self) -> Purpose:
        """The consent purpose this referral is sent under."""
        return disclosure.purpose_for(self.priority)

    def record(self) -> dict:
        """The personal data this referral carries, keyed like a referral view."""
        return {**self.personal, "summary": self.summary, "diagnosis_code": self.diagnosis_code}

    def fingerprint(self) -> str:
        """A digest of the request, to tell a retry from a different request."""
        canonical = json.dumps(self.__dict__, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """A created referral, and whether it was replayed from an earlier identical request."""

    referral: Referral
    replayed: bool


@dataclass(frozen=True)
class Page:
    """One page of referrals and the cursor of the next page, if any."""

    items: list[dict]
    next_cursor: str | None
    total: int | None  # None unless asked for: counting is O(matches), a page is not
    counts_by_priority: dict[str, int] | None = None


def _replay(session: Session, actor: Actor, key: str, fingerprint: str) -> Referral | None:
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.client_id == actor.client_id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different request.")
    return session.get(Referral, record.referral_id)


def create(
    session: Session,
    actor: Actor,
    pseudonyms: PseudonymKey,
    request: NewReferral,
    idempotency_key: str | None = None,
    *,
    policy: Policy,
    now: datetime | None = None,
) -> Created:
    """Send (or draft) a referral; refused unless consents cover purpose, recipient and every
    category.

    A green-channel referral with an emergency justification may instead open a break-glass
    release (scope ``referrals:emergency``).
    """
    if not idempotency_key:
        return _create(session, actor, pseudonyms, request, None, policy, now)
    fingerprint = request.fingerprint()  # only a retry needs it
    if earlier := _replay(session, actor, idempotency_key, fingerprint):
        return Created(earlier, replayed=True)
    try:
        # Everything the create writes sits in one savepoint, so losing a race for the key
        # (the unique constraint fires) leaves nothing of this attempt behind.
        with session.begin_nested():
            return _create(session, actor, pseudonyms, request, (idempotency_key, fingerprint),
                           policy, now)
    except IntegrityError:
        earlier = _replay(session, actor, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return Created(earlier, replayed=True)


def _recipient_id(request: NewReferral, campus: Campus | None) -> uuid.UUID:
    """The named recipient, else the campus's default green-channel recipient."""
    if request.recipient_id is not None:
        return request.recipient_id
    if request.priority is Priority.GREEN_CHANNEL and campus is not None and \
            campus.green_channel_recipient_id is not None:
        return campus.green_channel_recipient_id
    raise InvalidInput("Name the recipient; only a green-channel referral from a campus with a "
                       "default recipient may leave it out.", missing=["recipient_institution_id"])


def _create(session: Session, actor: Actor, pseudonyms: PseudonymKey, request: NewReferral,
            idempotency: tuple[str, str] | None, policy: Policy,
            now: datetime | None) -> Created:
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may send referrals.")
    key = subjects.subject_key(pseudonyms, actor.institution_id, request.subject_ref)
    # a named recipient: both institutions, their partnerships and the student's row in one
    # query, held so that the institution lookups and recording a birth date below find
    # them without a query; a campus's default recipient is known only once the campus is
    known = (parties.load(session, actor.institution_id, request.recipient_id, key)
             if request.recipient_id is not None else None)
    pair = known.pair if known else None
    sender = institutions.get_active(session, actor.institution_id)
    if request.diagnosis_code and not sender.may_diagnose:
        raise DiagnosisReserved("Only medical institutions may record a diagnosis.")
    campus = campuses.require_own(session, sender.id, request.campus_id)
    if request.case_id is not None:
        case = casework.require_referrable(session, actor, request.case_id, key)
        campus = campus or campuses.require_own(session, sender.id, case.campus_id)
    recipient_id = _recipient_id(request, campus)
    pair = pair or partnerships.pair(session, sender.id, recipient_id)
    recipient = institutions.get_active(session, recipient_id)
    if recipient.kind not in RECIPIENT_KINDS or recipient.id == sender.id:
        raise InvalidInput("Referrals go to a hospital or a counselling agency.")
    pair.require(Exchange.REFERRAL)
    campus_id = campus.id if campus else None
    identity = request.personal.get("identity")
    # recorded before the consent decision below, which reads the birth date (after autoflush)
    recorded = identity and subjects.record_birth_date(session, sender.id, key,
                                                       identity["date_of_birth"])
    if request.emergency_justification and request.priority is not Priority.GREEN_CHANNEL:
        raise InvalidInput("Break-glass is for green-channel referrals only.")
    categories = minimise.categories_of(request.record())
    subject = consent.SubjectRef(sender.id, key)
    decision = consent.authorise(session, actor, subject, request.purpose, recipient.id,
                                 categories, policy=policy)
    pseudonym = subjects.pair_pseudonym(pseudonyms, sender.id, recipient.id,
                                        request.subject_ref)
    if not decision.allowed and request.emergency_justification:
        release = breakglass.open_release(session, actor, recipient=recipient, subject_key=key,
                                          justification=request.emergency_justification,
                                          policy=policy, pseudonym=pseudonym)
        decision = consent.authorise(session, actor, subject, request.purpose, recipient.id,
                                     categories, breakglass_id=release.id, policy=policy)
    del recorded, known  # the decision is taken: these rows need not stay in the session
    if not decision.allowed:
        raise ConsentRequired(f"Refused: {decision.reason}.", missing_consent=decision.missing)
    referral = Referral(
        id=uuid.uuid4(),
        sender_id=sender.id,
        recipient_id=recipient.id,
        subject_key=key,
        recipient_pseudonym=pseudonym,
        consent_id=decision.consent_id,
        breakglass_id=decision.breakglass_id,
        data_categories=sorted(c.value for c in categories),
        personal_data=(json.dumps(request.personal, sort_keys=True, default=str,
                                  ensure_ascii=False)
                       if request.personal else None),
        priority=request.priority,
        reason=request.reason,
        summary=request.summary,
        diagnosis_code=request.diagnosis_code,
        case_id=request.case_id,
        part_of_id=request.part_of_id,
        campus_id=campus_id,
        status=ReferralStatus.DRAFT,
        version=1,  # its event records the version before the row is inserted
        created_by=actor.client_id,
    )
    session.add(referral)  # without a key: inserted once, already submitted, at the next flush
    if idempotency:
        session.flush()
        key_text, fingerprint = idempotency
        session.add(IdempotencyRecord(client_id=actor.client_id, key=key_text,
                                      request_fingerprint=fingerprint, referral_id=referral.id))
        session.flush()
    journal.record(session, actor, "referral.created", "referral", referral.id,
                   purpose=request.purpose.value, consent_id=decision.consent_id,
                   detail={"priority": referral.priority.value, "recipient_id": str(recipient.id),
                           "case_id": str(request.case_id) if request.case_id else None,
                           **decision.audit_detail})
    if not request.draft:
        lifecycle.submit_new(session, actor, referral, now or utcnow(), policy=policy)
    if referral in session.new:  # not flushed on the way (an Idempotency-Key flushes it)
        # its row is written ahead of its audit entries, event and notice, with no unit of work
        referral.created_at = utcnow()
        referral.updated_at = referral.updated_at or referral.created_at  # a draft's
        row_queue.add_persistent(session, referral)
    # whatever else is pending (a birth date recorded), then the queued rows: the referral,
    # its audit entries (and their pending rows), its event and the notice, one INSERT per
    # table (on PostgreSQL the last three tables' in one)
    session.flush()
    row_queue.write(session)
    return Created(referral, replayed=False)
