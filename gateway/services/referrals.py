"""Referrals: creation under consent, tenant-isolated and minimised reads, and the lifecycle."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import (
    Exchange,
    IdempotencyRecord,
    InstitutionKind,
    Priority,
    Purpose,
    Referral,
    ReferralReason,
    ReferralStatus,
)
from gateway.services import (
    audit,
    breakglass,
    consent,
    disclosure,
    institutions,
    minimise,
    partnerships,
    subjects,
)
from gateway.services.actor import Actor
from gateway.services.errors import (
    ConsentRequired,
    DiagnosisReserved,
    Forbidden,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from gateway.services.policy import Policy
from keys.pseudonym import PseudonymKey

RECIPIENT_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.COUNSELLING_AGENCY}
NEXT_STATUSES = {
    ReferralStatus.SUBMITTED: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED},
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED},
}
DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class NewReferral:
    """What a sender asks for (already validated by the wire schema)."""

    recipient_id: uuid.UUID
    subject_ref: str
    priority: Priority
    reason: ReferralReason
    summary: str | None = None
    diagnosis_code: str | None = None
    personal: dict = field(default_factory=dict)
    emergency_justification: str | None = None

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
class Transition:
    """A requested status change with what the recipient reports."""

    status: ReferralStatus
    reason_code: str | None = None
    note: str | None = None
    diagnosis_code: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of referrals and the cursor of the next page, if any."""

    items: list[dict]
    next_cursor: str | None
    total: int


def _sender_institution(session: Session, actor: Actor):
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may send referrals.")
    return institutions.get_active(session, actor.institution_id)


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
    policy: Policy = DEFAULT_POLICY,
) -> Created:
    """Send a referral; refused unless consents cover purpose, recipient and every category.

    A green-channel referral with an emergency justification may instead open a break-glass
    release (scope ``referrals:emergency``).
    """
    fingerprint = request.fingerprint()
    if idempotency_key and (earlier := _replay(session, actor, idempotency_key, fingerprint)):
        return Created(earlier, replayed=True)
    sender = _sender_institution(session, actor)
    if request.diagnosis_code and not sender.may_diagnose:
        raise DiagnosisReserved("Only medical institutions may record a diagnosis.")
    recipient = institutions.get_active(session, request.recipient_id)
    if recipient.kind not in RECIPIENT_KINDS or recipient.id == sender.id:
        raise InvalidInput("Referrals go to a hospital or a counselling agency.")
    partnerships.require(session, sender.id, recipient.id, Exchange.REFERRAL)
    key = subjects.subject_key(pseudonyms, sender.id, request.subject_ref)
    identity = request.personal.get("identity")
    if identity:
        subjects.record_birth_date(session, sender.id, key, identity["date_of_birth"])
    if request.emergency_justification and request.priority is not Priority.GREEN_CHANNEL:
        raise InvalidInput("Break-glass is for green-channel referrals only.")
    categories = minimise.categories_of(request.record())
    subject = consent.SubjectRef(sender.id, key)
    decision = consent.authorise(session, actor, subject, request.purpose, recipient.id,
                                 categories, policy=policy)
    if not decision.allowed and request.emergency_justification:
        release = breakglass.open_release(session, actor, recipient=recipient, subject_key=key,
                                          justification=request.emergency_justification,
                                          policy=policy)
        decision = consent.authorise(session, actor, subject, request.purpose, recipient.id,
                                     categories, breakglass_id=release.id, policy=policy)
    if not decision.allowed:
        raise ConsentRequired(f"Refused: {decision.reason}.", missing_consent=decision.missing)
    referral = Referral(
        sender_id=sender.id,
        recipient_id=recipient.id,
        subject_key=key,
        recipient_pseudonym=subjects.pair_pseudonym(
            pseudonyms, sender.id, recipient.id, request.subject_ref
        ),
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
        status=ReferralStatus.SUBMITTED,
        created_by=actor.client_id,
    )
    session.add(referral)
    session.flush()
    if idempotency_key:
        try:
            with session.begin_nested():
                session.add(IdempotencyRecord(client_id=actor.client_id, key=idempotency_key,
                                              request_fingerprint=fingerprint,
                                              referral_id=referral.id))
        except IntegrityError:  # a concurrent retry won the race: answer with its result
            session.expunge(referral)
            earlier = _replay(session, actor, idempotency_key, fingerprint)
            assert earlier is not None
            return Created(earlier, replayed=True)
    audit.record(session, actor, "referral.created", "referral", referral.id,
                 purpose=request.purpose.value, consent_id=decision.consent_id,
                 detail={"priority": referral.priority.value, "recipient_id": str(recipient.id),
                         **decision.audit_detail})
    return Created(referral, replayed=False)


def get_visible(session: Session, actor: Actor, referral_id: uuid.UUID,
                *, for_update: bool = False) -> Referral:
    """A referral the actor's institution sent or received; any other is 'not found'."""
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    referral = session.scalar(query)
    if referral is None or actor.institution_id not in (referral.sender_id, referral.recipient_id):
        raise NotFound("No referral with that id.")
    return referral


def read(session: Session, actor: Actor, referral_id: uuid.UUID, *,
         policy: Policy = DEFAULT_POLICY) -> dict:
    """Read one referral, minimised to what the actor may see; the access is audited."""
    referral = get_visible(session, actor, referral_id)
    view, decision = disclosure.view_with_decision(session, actor, referral, policy)
    audit.record(session, actor, "referral.read", "referral", referral.id,
                 purpose=disclosure.purpose_of(referral).value,
                 consent_id=decision.consent_id if decision else referral.consent_id,
                 detail=decision.audit_detail if decision else {"basis": "holder"})
    return view


def _encode_cursor(referral: Referral) -> str:
    raw = json.dumps([referral.created_at.isoformat(), str(referral.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not one this gateway issued.") from exc


def list_box(
    session: Session,
    actor: Actor,
    *,
    box: str = "inbox",
    status: ReferralStatus | None = None,
    risk_level: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
    policy: Policy = DEFAULT_POLICY,
) -> Page:
    """Referrals received (``inbox``) or sent (``sent``) by the actor, newest first.

    Filters on personal fields (``risk_level``) match only what the caller may see now, and
    ``total`` counts only those matches, so neither reveals a withheld record's content.
    """
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may list referrals.")
    owner = Referral.recipient_id if box == "inbox" else Referral.sender_id
    query = select(Referral).where(owner == actor.institution_id)
    if status is not None:
        query = query.where(Referral.status == status)
    protected = {k: v for k, v in {"risk_level": risk_level}.items() if v is not None}
    newest_first = (Referral.created_at.desc(), Referral.id.desc())
    if protected:
        views = [(r, view) for r in session.scalars(query.order_by(*newest_first))
                 if disclosure.matches(view := disclosure.disclose(session, actor, r,
                                                                   policy=policy), protected)]
        total = len(views)
        if cursor:
            created, ident = _decode_cursor(cursor)
            views = [(r, v) for r, v in views if (r.created_at, r.id) < (created, ident)]
        page, more = views[:limit], len(views) > limit
    else:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        if cursor:
            created, ident = _decode_cursor(cursor)
            query = query.where(
                or_(Referral.created_at < created,
                    and_(Referral.created_at == created, Referral.id < ident))
            )
        rows = list(session.scalars(query.order_by(*newest_first).limit(limit + 1)))
        page = [(r, disclosure.disclose(session, actor, r, policy=policy)) for r in rows[:limit]]
        more = len(rows) > limit
    audit.record(session, actor, "referral.listed", "referral", None,
                 purpose=Purpose.REFERRAL.value,
                 detail={"box": box, "ids": [str(r.id) for r, _ in page],
                         "filters": sorted(protected)})
    return Page([view for _, view in page], _encode_cursor(page[-1][0]) if more else None,
                total)


def transition(session: Session, actor: Actor, referral_id: uuid.UUID,
               change: Transition) -> Referral:
    """Move a referral along its lifecycle; only the recipient may do so."""
    referral = get_visible(session, actor, referral_id, for_update=True)
    if actor.institution_id != referral.recipient_id:
        raise Forbidden("Only the receiving institution may change this referral's status.")
    if change.status not in NEXT_STATUSES.get(referral.status, set()):
        raise InvalidTransition(
            f"A referral cannot go from '{referral.status.value}' to '{change.status.value}'.",
            current_status=referral.status.value,
        )
    if change.status is ReferralStatus.DECLINED and not change.reason_code:
        raise InvalidInput("Declining needs a reason_code.")
    if change.diagnosis_code:
        if change.status is not ReferralStatus.COMPLETED:
            raise InvalidInput("A diagnosis is reported with the completed outcome only.")
        if not institutions.get_active(session, referral.recipient_id).may_diagnose:
            raise DiagnosisReserved("Only medical institutions may record a diagnosis.")
    referral.status = change.status
    if change.status is ReferralStatus.DECLINED:
        referral.decline_reason = change.reason_code
    if change.status is ReferralStatus.COMPLETED:
        referral.outcome_note = change.note
        referral.outcome_diagnosis_code = change.diagnosis_code
    session.flush()
    audit.record(session, actor, f"referral.{change.status.value}", "referral", referral.id,
                 purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id)
    return referral
