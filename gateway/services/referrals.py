"""Referrals: creation under consent, tenant-isolated and minimised reads, and the lifecycle.

Lifecycle (modelled on FHIR Task): draft → submitted → received → accepted → in_progress →
completed, with the exits declined, withdrawn and expired. Each step is audited, recorded as an
event and queued for the other side in the same transaction.
"""

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
    BusinessStatus,
    DataCategory,
    Exchange,
    IdempotencyRecord,
    InstitutionKind,
    Priority,
    Purpose,
    Referral,
    ReferralEvent,
    ReferralReason,
    ReferralStatus,
    utcnow,
)
from gateway.services import (
    audit,
    breakglass,
    cases,
    consent,
    disclosure,
    institutions,
    minimise,
    outbox,
    partnerships,
    sla,
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
from schemas.referrals import ReferralSchema

S = ReferralStatus
RECIPIENT_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.COUNSELLING_AGENCY}
NEXT_STATUSES = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.RECEIVED, S.WITHDRAWN, S.EXPIRED},
    S.RECEIVED: {S.ACCEPTED, S.DECLINED, S.WITHDRAWN},
    S.ACCEPTED: {S.IN_PROGRESS, S.COMPLETED, S.WITHDRAWN},
    S.IN_PROGRESS: {S.COMPLETED, S.WITHDRAWN},
}
SENDER_MOVES = {S.SUBMITTED, S.WITHDRAWN}
RECIPIENT_MOVES = {S.RECEIVED, S.ACCEPTED, S.DECLINED, S.IN_PROGRESS, S.COMPLETED}
# Moves the recipient reports about an open referral, without changing its status.
UPDATABLE = {S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS}
# Statuses the sender is told about (everything else goes to the recipient).
TO_RECIPIENT = {S.SUBMITTED, S.WITHDRAWN}

DEFAULT_POLICY = Policy()
BATCH = 200  # referrals decided together when a protected filter scans the whole box


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
    case_id: uuid.UUID | None = None
    draft: bool = False

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
    """A requested status change with what the acting side reports."""

    status: ReferralStatus
    reason_code: str | None = None
    note: str | None = None
    diagnosis_code: str | None = None
    business_status: BusinessStatus | None = None


@dataclass(frozen=True)
class Update:
    """Interim feedback from the recipient: a business status and/or a message."""

    business_status: BusinessStatus | None = None
    note: str | None = None
    appointment_at: datetime | None = None


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
    now: datetime | None = None,
) -> Created:
    """Send (or draft) a referral; refused unless consents cover purpose, recipient and every
    category.

    A green-channel referral with an emergency justification may instead open a break-glass
    release (scope ``referrals:emergency``).
    """
    fingerprint = request.fingerprint()
    if not idempotency_key:
        return _create(session, actor, pseudonyms, request, None, policy, now)
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


def _create(session: Session, actor: Actor, pseudonyms: PseudonymKey, request: NewReferral,
            idempotency: tuple[str, str] | None, policy: Policy,
            now: datetime | None) -> Created:
    sender = _sender_institution(session, actor)
    if request.diagnosis_code and not sender.may_diagnose:
        raise DiagnosisReserved("Only medical institutions may record a diagnosis.")
    recipient = institutions.get_active(session, request.recipient_id)
    if recipient.kind not in RECIPIENT_KINDS or recipient.id == sender.id:
        raise InvalidInput("Referrals go to a hospital or a counselling agency.")
    partnerships.require(session, sender.id, recipient.id, Exchange.REFERRAL)
    key = subjects.subject_key(pseudonyms, sender.id, request.subject_ref)
    if request.case_id is not None:
        cases.require_referrable(session, actor, request.case_id, key)
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
        case_id=request.case_id,
        status=S.DRAFT,
        created_by=actor.client_id,
    )
    session.add(referral)
    session.flush()
    if idempotency:
        key_text, fingerprint = idempotency
        session.add(IdempotencyRecord(client_id=actor.client_id, key=key_text,
                                      request_fingerprint=fingerprint, referral_id=referral.id))
        session.flush()
    audit.record(session, actor, "referral.created", "referral", referral.id,
                 purpose=request.purpose.value, consent_id=decision.consent_id,
                 detail={"priority": referral.priority.value, "recipient_id": str(recipient.id),
                         "case_id": str(request.case_id) if request.case_id else None,
                         **decision.audit_detail})
    if not request.draft:
        _apply(session, actor, referral, S.SUBMITTED, Transition(S.SUBMITTED), now or utcnow())
    return Created(referral, replayed=False)


def get_visible(session: Session, actor: Actor, referral_id: uuid.UUID,
                *, for_update: bool = False) -> Referral:
    """A referral the actor's institution sent or received; any other is 'not found'.

    The recipient does not see a draft until it is submitted.
    """
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    referral = session.scalar(query)
    if referral is None or actor.institution_id not in (referral.sender_id, referral.recipient_id):
        raise NotFound("No referral with that id.")
    if referral.status is S.DRAFT and actor.institution_id != referral.sender_id:
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


def history(session: Session, actor: Actor, referral_id: uuid.UUID) -> list[dict]:
    """The referral's events (status changes and feedback), oldest first; audited.

    Free-text notes are clinical notes: shown only when :func:`notes_visible` allows.
    """
    referral = get_visible(session, actor, referral_id)
    audit.record(session, actor, "referral.history_read", "referral", referral.id,
                 purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id)
    with_notes = notes_visible(session, referral, actor.institution_id)
    events = session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.recorded_at,
                                                           ReferralEvent.id))
    return [{"id": e.id, "recorded_at": e.recorded_at, "actor": e.actor,
             "from_status": e.from_status, "to_status": e.to_status,
             "business_status": e.business_status, "appointment_at": e.appointment_at,
             "note": e.note if with_notes else None} for e in events]


def notes_visible(session: Session, referral: Referral, institution_id: uuid.UUID,
                  policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether a party may read the referral's free-text notes (category clinical notes).

    The recipient may under the referral's own consent; the sender hears the recipient's notes
    back only under a follow-up consent, as with the outcome.
    """
    is_recipient = institution_id == referral.recipient_id
    decision = consent.authorise(
        session, _party(institution_id), disclosure.subject_of(referral),
        disclosure.purpose_of(referral) if is_recipient else Purpose.FOLLOW_UP,
        referral.recipient_id, [DataCategory.CLINICAL_NOTES],
        breakglass_id=referral.breakglass_id if is_recipient else None, policy=policy)
    return decision.allowed


def _encode_cursor(referral: Referral) -> str:
    raw = json.dumps([referral.created_at.isoformat(), str(referral.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("The cursor is not one this gateway issued.") from exc


def _views(session: Session, actor: Actor, rows: list[Referral],
           policy: Policy) -> list[tuple[Referral, dict]]:
    """Each referral with the actor's view of it, decided in batches of :data:`BATCH`."""
    views: list[tuple[Referral, dict]] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        decided = disclosure.views_with_decisions(session, actor, batch, policy)
        views.extend((r, view) for r, (view, _decision) in zip(batch, decided, strict=True))
    return views


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
    if box == "inbox":  # a draft is the sender's until submitted
        query = select(Referral).where(Referral.recipient_id == actor.institution_id,
                                       Referral.status != S.DRAFT)
    else:
        query = select(Referral).where(Referral.sender_id == actor.institution_id)
    if status is not None:
        query = query.where(Referral.status == status)
    protected = {k: v for k, v in {"risk_level": risk_level}.items() if v is not None}
    newest_first = (Referral.created_at.desc(), Referral.id.desc())
    if protected:  # the filter and ``total`` need every referral of the box decided
        views = [(r, view) for r, view in _views(session, actor, list(
            session.scalars(query.order_by(*newest_first))), policy)
                 if disclosure.matches(view, protected)]
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
        page = _views(session, actor, rows[:limit], policy)
        more = len(rows) > limit
    audit.record(session, actor, "referral.listed", "referral", None,
                 purpose=Purpose.REFERRAL.value,
                 detail={"box": box, "ids": [str(r.id) for r, _ in page],
                         "filters": sorted(protected)})
    return Page([view for _, view in page], _encode_cursor(page[-1][0]) if more else None,
                total)


def _path(current: ReferralStatus, target: ReferralStatus) -> list[ReferralStatus]:
    """The steps from ``current`` to ``target``; deciding on an unreceived referral receives it."""
    if target in NEXT_STATUSES.get(current, set()):
        return [target]
    if current is S.SUBMITTED and target in NEXT_STATUSES[S.RECEIVED]:
        return [S.RECEIVED, target]
    raise InvalidTransition(
        f"A referral cannot go from '{current.value}' to '{target.value}'.",
        current_status=current.value,
    )


def _check_role(actor: Actor, referral: Referral, target: ReferralStatus) -> None:
    if target in SENDER_MOVES and actor.institution_id != referral.sender_id:
        raise Forbidden(f"Only the sending institution may set '{target.value}'.")
    if target in RECIPIENT_MOVES and actor.institution_id != referral.recipient_id:
        raise Forbidden("Only the receiving institution may move this referral forward.")
    if target not in SENDER_MOVES | RECIPIENT_MOVES:
        raise Forbidden(f"'{target.value}' is set by the gateway, not by a partner.")


def _check_change(session: Session, referral: Referral, change: Transition) -> None:
    if change.status is S.DECLINED and not change.reason_code:
        raise InvalidInput("Declining needs a reason_code.")
    if change.diagnosis_code:
        if change.status is not S.COMPLETED:
            raise InvalidInput("A diagnosis is reported with the completed outcome only.")
        if not institutions.get_active(session, referral.recipient_id).may_diagnose:
            raise DiagnosisReserved("Only medical institutions may record a diagnosis.")


def transition(session: Session, actor: Actor, referral_id: uuid.UUID, change: Transition,
               *, policy: Policy = DEFAULT_POLICY, now: datetime | None = None) -> Referral:
    """Move a referral along its lifecycle.

    The sender submits a draft and may withdraw; only the recipient moves it forward.
    """
    referral = get_visible(session, actor, referral_id, for_update=True)
    _check_role(actor, referral, change.status)
    steps = _path(referral.status, change.status)
    _check_change(session, referral, change)
    if change.status is S.SUBMITTED:  # a draft is checked again when it leaves
        partnerships.require(session, referral.sender_id, referral.recipient_id,
                             Exchange.REFERRAL)
        decision = consent.authorise(session, actor, disclosure.subject_of(referral),
                                     disclosure.purpose_of(referral), referral.recipient_id,
                                     referral.data_categories,
                                     breakglass_id=referral.breakglass_id, policy=policy)
        if not decision.allowed:
            raise ConsentRequired(f"Refused: {decision.reason}.",
                                  missing_consent=decision.missing)
    moment = now or utcnow()
    for step in steps:
        _apply(session, actor, referral, step,
               change if step is change.status else Transition(step), moment)
    return referral


def expire(session: Session, actor: str, referral: Referral, now: datetime) -> None:
    """The gateway expires a referral that was never received (caller holds the row lock)."""
    _path(referral.status, S.EXPIRED)
    _apply(session, actor, referral, S.EXPIRED, Transition(S.EXPIRED), now)


def post_update(session: Session, actor: Actor, referral_id: uuid.UUID, update: Update,
                *, now: datetime | None = None) -> ReferralEvent:
    """Interim feedback by the recipient (e.g. an appointment scheduled, a no-show)."""
    referral = get_visible(session, actor, referral_id, for_update=True)
    if actor.institution_id != referral.recipient_id:
        raise Forbidden("Only the receiving institution reports on this referral.")
    if referral.status not in UPDATABLE:
        raise InvalidTransition(
            f"A referral in '{referral.status.value}' takes no updates.",
            current_status=referral.status.value)
    if update.business_status is None and not update.note:
        raise InvalidInput("An update needs a business_status or a note.")
    if (update.business_status is BusinessStatus.EVENT_SCHEDULED) != (
            update.appointment_at is not None):
        raise InvalidInput("appointment_at goes with business_status 'event_scheduled' only.")
    moment = now or utcnow()
    if update.appointment_at and referral.first_appointment_at is None:
        referral.first_appointment_at = update.appointment_at
    if update.business_status:
        referral.business_status = update.business_status.value
    event = _record_event(session, actor, referral, None, update.business_status, update.note,
                          moment, update.appointment_at)
    audit.record(session, actor, "referral.updated", "referral", referral.id,
                 purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id,
                 detail={"business_status": referral.business_status})
    _notify(session, referral, "referral.updated", event, to_sender=True)
    return event


def _record_event(session: Session, actor: Actor | str, referral: Referral,
                  from_status: ReferralStatus | None, business: BusinessStatus | None,
                  note: str | None, moment: datetime,
                  appointment_at: datetime | None = None) -> ReferralEvent:
    event = ReferralEvent(
        referral_id=referral.id, recorded_at=moment,
        actor=actor.label if isinstance(actor, Actor) else actor,
        from_status=from_status.value if from_status else None,
        to_status=referral.status.value if from_status else None,
        business_status=business.value if business else None,
        appointment_at=appointment_at, note=note)
    session.add(event)
    session.flush()
    return event


def _stamp(session: Session, referral: Referral, status: ReferralStatus,
           change: Transition, moment: datetime) -> None:
    if status is S.SUBMITTED:
        referral.submitted_at = moment
        due = sla.deadlines(session, referral, moment)
        referral.receipt_due_at, referral.decision_due_at = due.receipt_due_at, due.decision_due_at
        referral.expires_at = due.expires_at
    elif status is S.RECEIVED:
        referral.received_at = moment
    elif status in (S.ACCEPTED, S.DECLINED):
        referral.decided_at = moment
    if status is S.DECLINED:
        referral.decline_reason = change.reason_code
    if status is S.COMPLETED:
        referral.completed_at = moment
        referral.outcome_note = change.note
        referral.outcome_diagnosis_code = change.diagnosis_code


def _apply(session: Session, actor: Actor | str, referral: Referral, status: ReferralStatus,
           change: Transition, moment: datetime) -> None:
    """One audited step: stamp the clock, record the event, tell the other side."""
    previous = referral.status
    referral.status = status
    _stamp(session, referral, status, change, moment)
    if change.business_status:
        referral.business_status = change.business_status.value
    session.flush()
    event = _record_event(session, actor, referral, previous, change.business_status,
                          change.note, moment)
    audit.record(session, actor, f"referral.{status.value}", "referral", referral.id,
                 purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id,
                 detail={"from": previous.value, "reason_code": change.reason_code})
    if previous is not S.DRAFT or status is S.SUBMITTED:  # a draft was never seen
        _notify(session, referral, f"referral.{status.value}", event,
                to_sender=status not in TO_RECIPIENT)
    if referral.case_id is not None and status.is_final:
        outcome = addressee_view(session, referral, referral.sender_id).get("outcome") or {}
        cases.record_referral_outcome(session, actor, referral, outcome.get("note"))


def _party(institution_id: uuid.UUID) -> Actor:
    """The gateway acting for one party, to see a referral as that party may."""
    return Actor(client_id="gateway", institution_id=institution_id, scopes=frozenset())


def addressee_view(session: Session, referral: Referral, institution_id: uuid.UUID,
                   policy: Policy = DEFAULT_POLICY) -> dict:
    """The referral as ``institution_id`` may see it now, in wire form (JSON-ready).

    Minimisation happens here, before any adapter: fields of unreleased data categories are
    absent, and adapters map only what is present.
    """
    view = disclosure.disclose(session, _party(institution_id), referral, policy=policy)
    return ReferralSchema().dump(view)


def _notify(session: Session, referral: Referral, topic: str, event: ReferralEvent,
            *, to_sender: bool) -> None:
    """Queue the change for the other side, in this transaction (transactional outbox)."""
    to = referral.sender_id if to_sender else referral.recipient_id
    sender = institutions.get_active(session, referral.sender_id)
    recipient = institutions.get_active(session, referral.recipient_id)
    payload = {
        "event": topic,
        "event_id": str(event.id),
        "occurred_at": event.recorded_at.isoformat(),
        "referral": addressee_view(session, referral, to),
        "sender": {"id": str(sender.id), "name": sender.name},
        "recipient": {"id": str(recipient.id), "name": recipient.name},
    }
    note = event.note if event.note and notes_visible(session, referral, to) else None
    if event.business_status or note:
        payload["update"] = {key: value for key, value in {
            "business_status": event.business_status, "note": note,
            "appointment_at": event.appointment_at and event.appointment_at.isoformat(),
        }.items() if value is not None}
    outbox.enqueue(session, topic, payload, institution_id=to)
