"""Onward referral: a recipient passes a student on (a counselling centre to a psychiatric
hospital, say). The new referral is based on the first, stays keyed to the first sender's
record, and goes only under a consent the first sender holds for the new recipient: consent is
checked again, and only the categories it releases (of those the relay may see) travel."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    DataCategory,
    Exchange,
    Priority,
    Referral,
    ReferralReason,
    ReferralStatus,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import (
    ConsentRequired,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from gateway.services.network import institutions, partnerships
from gateway.services.privacy import consent, disclosure, minimise
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, lifecycle
from gateway.services.referrals.intake import RECIPIENT_KINDS
from keys.pseudonym import PseudonymKey

RELAYABLE = {ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}
PERSONAL_KEYS = ("identity", "contact", "guardian_contact", "risk_assessment", "school_record")


@dataclass(frozen=True)
class OnwardRequest:
    """What the relaying recipient asks for (validated by the wire schema)."""

    recipient_id: uuid.UUID
    priority: Priority
    reason: ReferralReason
    data_categories: frozenset[DataCategory]
    summary: str | None = None


def refer_onward(session: Session, actor: Actor, pseudonyms: PseudonymKey,
                 based_on_id: uuid.UUID, request: OnwardRequest, *, policy: Policy,
                 now: datetime | None = None) -> Referral:
    """Refer the student of ``based_on_id`` (received and accepted by the actor) onward."""
    first = access.get_visible(session, actor, based_on_id, for_update=True)
    if actor.institution_id != first.recipient_id:
        raise Forbidden("Only the institution that received this referral may refer onward.")
    if first.status not in RELAYABLE:
        raise InvalidTransition("Accept the referral before referring the student onward.",
                                current_status=first.status.value)
    relay = institutions.get_active(session, actor.institution_id)
    recipient = institutions.get_active(session, request.recipient_id)
    holder_id = first.subject_holder_id or first.sender_id
    if recipient.kind not in RECIPIENT_KINDS or recipient.id in (relay.id, holder_id):
        raise InvalidInput("An onward referral goes to another hospital or counselling agency.")
    partnerships.require(session, relay.id, recipient.id, Exchange.REFERRAL)
    if request.summary and DataCategory.CLINICAL_NOTES not in request.data_categories:
        raise InvalidInput("A summary is clinical_notes: name that category to pass it on.")
    # of what the relay may see now of the first referral, the named categories, if the
    # first sender holds a consent that releases each of them to the new recipient
    seen, _ = disclosure.view_with_decision(session, actor, first, policy)
    record = {k: seen[k] for k in PERSONAL_KEYS if k in seen}
    if request.summary:
        record["summary"] = request.summary
    passed = minimise.minimise(record, request.data_categories)
    purpose = disclosure.purpose_for(request.priority)
    subject = consent.SubjectRef(holder_id, first.subject_key)
    decision = consent.authorise_many(session, actor, [consent.Question(
        subject, purpose, recipient.id, request.data_categories, relay_id=relay.id)],
        policy=policy)[0]
    if not decision.allowed:
        raise ConsentRequired(f"Refused: {decision.reason}.", missing_consent=decision.missing)
    personal = {k: passed[k] for k in PERSONAL_KEYS if k in passed}
    referral = Referral(
        sender_id=relay.id, recipient_id=recipient.id, subject_key=first.subject_key,
        subject_holder_id=holder_id, based_on_id=first.id,
        recipient_pseudonym=pseudonyms.derive("pair-onward", str(holder_id), str(recipient.id),
                                              first.subject_key),
        consent_id=decision.consent_id,
        data_categories=sorted(c.value for c in minimise.categories_of(passed)),
        personal_data=json.dumps(personal, sort_keys=True, default=str, ensure_ascii=False)
        if personal else None,
        priority=request.priority, reason=request.reason, summary=passed.get("summary"),
        status=ReferralStatus.DRAFT, created_by=actor.label,
    )
    session.add(referral)
    session.flush()
    journal.record(session, actor, "referral.created", "referral", referral.id,
                   purpose=purpose.value, consent_id=decision.consent_id,
                   detail={"priority": referral.priority.value, "recipient_id": str(recipient.id),
                           "based_on": str(first.id), **decision.audit_detail})
    lifecycle.submit_new(session, actor, referral, now or utcnow(), policy=policy)
    return referral


def chain(session: Session, actor: Actor, referral_id: uuid.UUID) -> list[Referral]:
    """Every referral in the chain of ``referral_id``, first to last (oldest first).

    The holder of the student's record (the first sender) sees every link; another
    institution in the chain sees the links it sent or received. A link carries no personal
    data: who referred to whom, when, and where it stands.
    """
    start = session.get(Referral, referral_id)
    if start is None:
        raise NotFound("No referral with that id.")
    root = start
    while root.based_on_id is not None:
        root = session.get(Referral, root.based_on_id)
    links, frontier = [root], [root.id]
    while frontier:
        children = list(session.scalars(select(Referral).where(
            Referral.based_on_id.in_(frontier)).order_by(Referral.created_at, Referral.id)))
        links += children
        frontier = [c.id for c in children]
    me = actor.institution_id
    shown = [r for r in links if (me == root.sender_id or me in (r.sender_id, r.recipient_id))
             and (r.status is not ReferralStatus.DRAFT or r.sender_id == me)]
    if start not in shown:
        raise NotFound("No referral with that id.")
    journal.record(session, actor, "referral.chain_read", "referral", root.id,
                   purpose=disclosure.purpose_of(root).value,
                   detail={"ids": [str(r.id) for r in shown]})
    return shown
