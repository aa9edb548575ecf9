"""Referral lifecycle (modelled on FHIR Task): who may move a referral where, and what each
step leaves behind.

draft → submitted → received → accepted → in_progress → completed, with the exits declined,
withdrawn and expired. Each step is audited, recorded as an event and queued for the other side
in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from adapters import payloads
from gateway.models import (
    BusinessStatus,
    Exchange,
    Referral,
    ReferralEvent,
    ReferralStatus,
    utcnow,
)
from gateway.services import outbox, row_queue
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import casework
from gateway.services.errors import (
    ConsentRequired,
    DiagnosisReserved,
    Forbidden,
    InvalidInput,
    InvalidTransition,
)
from gateway.services.network import institutions, partnerships
from gateway.services.privacy import consent, disclosure
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, sla

S = ReferralStatus
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
REVOKED = "consent_revoked"  # the reason of a withdrawal the revocation of its consent caused
INSERT_EVENT = insert(ReferralEvent.__table__)  # built once


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
               *, policy: Policy, now: datetime | None = None) -> Referral:
    """Move a referral along its lifecycle.

    The sender submits a draft and may withdraw; only the recipient moves it forward.
    """
    locked = access.lock_visible(session, actor, referral_id)
    return transition_locked(session, actor, locked.referral, change, policy=policy, now=now)


def transition_locked(session: Session, actor: Actor, referral: Referral, change: Transition,
                      *, policy: Policy, now: datetime | None = None) -> Referral:
    """:func:`transition` of a visible referral whose row the caller has locked."""
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
               change if step is change.status else Transition(step), moment, policy=policy)
    return referral


def expire(session: Session, actor: Actor, referral: Referral, now: datetime, *,
           policy: Policy) -> None:
    """The gateway expires a referral that was never received (caller holds the row lock)."""
    _path(referral.status, S.EXPIRED)
    _apply(session, actor, referral, S.EXPIRED, Transition(S.EXPIRED), now, policy=policy)


def withdraw_on_revocation(session: Session, actor: Actor, referral: Referral, *,
                           policy: Policy, now: datetime | None = None) -> None:
    """Withdraw a referral whose consent was revoked (caller holds the row lock).

    The same step as the sender's own withdrawal — event, audit entry, case outcome, notice to
    the recipient — with ``consent_revoked`` as its reason.
    """
    _path(referral.status, S.WITHDRAWN)
    _apply(session, actor, referral, S.WITHDRAWN,
           Transition(S.WITHDRAWN, reason_code=REVOKED), now or utcnow(), policy=policy)


def submit_new(session: Session, actor: Actor, referral: Referral, now: datetime, *,
               policy: Policy) -> None:
    """Submit a referral just created from an authorised request (no draft step in between)."""
    _apply(session, actor, referral, S.SUBMITTED, Transition(S.SUBMITTED), now, policy=policy)


def post_update(session: Session, actor: Actor, referral_id: uuid.UUID, update: Update,
                *, policy: Policy, now: datetime | None = None) -> dict:
    """Interim feedback by the recipient (e.g. an appointment scheduled, a no-show); the
    event's fields."""
    locked = access.lock_visible(session, actor, referral_id)
    return post_update_locked(session, actor, locked.referral, update, policy=policy, now=now)


def post_update_locked(session: Session, actor: Actor, referral: Referral, update: Update,
                       *, policy: Policy, now: datetime | None = None) -> dict:
    """:func:`post_update` on a visible referral whose row the caller has locked."""
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
    journal.record(session, actor, "referral.updated", "referral", referral.id,
                   purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id,
                   detail={"business_status": referral.business_status})
    _notify(session, referral, "referral.updated", event, to_sender=True, policy=policy)
    return event


def _record_event(session: Session, actor: Actor, referral: Referral,
                  from_status: ReferralStatus | None, business: BusinessStatus | None,
                  note: str | None, moment: datetime,
                  appointment_at: datetime | None = None) -> dict:
    """The step's event, queued as a plain row (nothing in the request edits it): written
    after the unit of work of the next flush, so after a new referral's own row."""
    referral.updated_at = moment  # every event makes a new version of the referral
    if referral not in session.new:  # a stored row, locked by the caller: the next version
        referral.version += 1
    event = {
        "id": uuid.uuid4(), "referral_id": referral.id, "recorded_at": moment,
        "version": referral.version, "actor": actor.label,
        "from_status": from_status.value if from_status else None,
        "to_status": referral.status.value if from_status else None,
        "business_status": business.value if business else None,
        "appointment_at": appointment_at, "note": note}
    row_queue.add(session, INSERT_EVENT, event)
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


def _apply(session: Session, actor: Actor, referral: Referral, status: ReferralStatus,
           change: Transition, moment: datetime, *, policy: Policy) -> None:
    """One audited step: stamp the clock, record the event, tell the other side."""
    previous = referral.status
    referral.status = status
    _stamp(session, referral, status, change, moment)
    if change.business_status:
        referral.business_status = change.business_status.value
    event = _record_event(session, actor, referral, previous, change.business_status,
                          change.note, moment)
    journal.record(session, actor, f"referral.{status.value}", "referral", referral.id,
                   purpose=disclosure.purpose_of(referral).value, consent_id=referral.consent_id,
                   detail={"from": previous.value, "reason_code": change.reason_code})
    if previous is not S.DRAFT or status is S.SUBMITTED:  # a draft was never seen
        _notify(session, referral, f"referral.{status.value}", event,
                to_sender=status not in TO_RECIPIENT, policy=policy)
    if referral.case_id is not None and status.is_final:
        sender_view = access.addressee_view(session, referral, referral.sender_id, policy=policy)
        outcome = sender_view.get("outcome") or {}
        casework.record_referral_outcome(session, actor, referral, outcome.get("note"))


def _notify(session: Session, referral: Referral, topic: str, event: dict,
            *, to_sender: bool, policy: Policy) -> None:
    """Queue the change for the other side, in this transaction (transactional outbox)."""
    to = referral.sender_id if to_sender else referral.recipient_id
    parties = institutions.get_active_many(session, {referral.sender_id, referral.recipient_id})
    sender, recipient = parties[referral.sender_id], parties[referral.recipient_id]
    payload = {
        "event": topic,
        "event_id": str(event["id"]),
        "occurred_at": event["recorded_at"].isoformat(),
        "referral": payloads.referral(access.addressee_view(session, referral, to,
                                                            policy=policy)),
        "sender": {"id": str(sender.id), "name": sender.name},
        "recipient": {"id": str(recipient.id), "name": recipient.name},
    }
    note = (event["note"] if event["note"]
            and access.notes_visible(session, referral, to, policy=policy) else None)
    if event["business_status"] or note:
        payload["update"] = {key: value for key, value in {
            "business_status": event["business_status"], "note": note,
            "appointment_at": event["appointment_at"] and event["appointment_at"].isoformat(),
        }.items() if value is not None}
    outbox.send(session, topic, payload, institution_id=to)
