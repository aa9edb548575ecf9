"""Handover (一生一档): a case summary passed from one school to the next.

The sending school names the summary's sections by data category (identity, school record,
risk assessment, clinical notes…); only the categories a ``handover`` consent from the right
grantor (minors rule) names leave, and without such a consent nothing does. The receiving school
reads what is still consented and opens its own case, linked to the handover.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Case, CaseEntryKind, DataCategory, Handover, Purpose, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import casework
from gateway.services.cases.rules import CaseRules
from gateway.services.errors import Conflict, ConsentRequired, Forbidden, InvalidInput, NotFound
from gateway.services.network import institutions
from gateway.services.privacy import consent, minimise, subjects
from gateway.services.privacy.policy import Policy


@dataclass(frozen=True)
class HandoverView:
    """A handover as its recipient sees it: only the categories consented now."""

    handover: Handover
    categories: list[str]
    summary: dict


def _refused(decision: consent.Decision) -> ConsentRequired:
    return ConsentRequired(f"Refused: {decision.reason}.", missing_consent=decision.missing)


def send(session: Session, actor: Actor, case_id: uuid.UUID, *, recipient_id: uuid.UUID,
         record: dict, policy: Policy) -> Handover:
    """Send the case's summary ``record`` (top-level keys by category) to the next school.

    Categories the consent does not name are dropped; with no consent in force for
    ``handover`` from every grantor the student's age requires, nothing leaves.
    """
    case = casework.require_open(casework.get_own(session, actor, case_id, for_update=True))
    recipient = institutions.get_active(session, recipient_id)
    if recipient.kind not in casework.SCHOOL_KINDS or recipient.id == case.institution_id:
        raise InvalidInput("A handover goes to another school or university.")
    requested = minimise.categories_of(record)
    if not requested:
        raise InvalidInput("A handover carries at least one section of the summary.")
    identity = record.get("identity")
    if identity:
        subjects.record_birth_date(session, case.institution_id, case.subject_key,
                                   identity["date_of_birth"])
    decision = consent.authorise(session, actor,
                                 consent.SubjectRef(case.institution_id, case.subject_key),
                                 Purpose.HANDOVER, recipient.id, requested, policy=policy)
    if not decision.categories:
        raise _refused(decision)
    released = sorted(c.value for c in decision.categories)
    handover = Handover(
        case_id=case.id, sender_id=case.institution_id, recipient_id=recipient.id,
        consent_id=decision.consent_id, data_categories=released,
        summary=json.dumps(minimise.minimise(record, decision.categories), sort_keys=True,
                           default=str, ensure_ascii=False),
        created_by=actor.client_id)
    session.add(handover)
    session.flush()
    casework.add_entry(session, actor, case, CaseEntryKind.HANDOVER_SENT)
    journal.record(session, actor, "case.handed_over", "case", case.id,
                   purpose=Purpose.HANDOVER.value, consent_id=decision.consent_id,
                   detail={"handover_id": str(handover.id), "recipient_id": str(recipient.id),
                           "categories": released,
                           "withheld": sorted(c.value for c in requested - decision.categories)})
    return handover


def _received(session: Session, actor: Actor, handover_id: uuid.UUID) -> Handover:
    handover = session.get(Handover, handover_id)
    if handover is None or handover.recipient_id != actor.institution_id:
        raise NotFound("No handover with that id.")
    return handover


def inbox(session: Session, actor: Actor, *, limit: int = 100) -> list[Handover]:
    """Handovers sent to the actor's school, newest first (summaries are read one by one)."""
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may list handovers.")
    return list(session.scalars(select(Handover).where(
        Handover.recipient_id == actor.institution_id)
        .order_by(Handover.created_at.desc(), Handover.id.desc()).limit(limit)))


def read(session: Session, actor: Actor, handover_id: uuid.UUID, *,
         policy: Policy) -> HandoverView:
    """The summary as the recipient may see it now (a revoked consent withholds it again)."""
    handover = _received(session, actor, handover_id)
    case = session.get(Case, handover.case_id)
    sent = frozenset(DataCategory(c) for c in handover.data_categories)
    decision = consent.authorise(session, actor,
                                 consent.SubjectRef(handover.sender_id, case.subject_key),
                                 Purpose.HANDOVER, actor.institution_id, sent, policy=policy)
    if not decision.categories:
        raise _refused(decision)
    journal.record(session, actor, "handover.read", "handover", handover.id,
                   purpose=Purpose.HANDOVER.value, consent_id=decision.consent_id,
                   detail=decision.audit_detail)
    shown = minimise.minimise(json.loads(handover.summary), decision.categories)
    return HandoverView(handover, sorted(c.value for c in decision.categories), shown)


def open_linked_case(session: Session, actor: Actor, handover_id: uuid.UUID,
                     new: casework.NewCase, *, rules: CaseRules) -> Case:
    """The receiving school opens its own case for the handed-over student (once)."""
    handover = _received(session, actor, handover_id)
    if handover.received_case_id is not None:
        raise Conflict("A case was already opened from this handover.",
                       case_id=str(handover.received_case_id))
    case = casework.open_case(session, actor, new, rules=rules)
    handover.received_case_id, handover.received_at = case.id, utcnow()
    session.flush()
    journal.record(session, actor, "handover.received", "handover", handover.id,
                   purpose=Purpose.HANDOVER.value, detail={"case_id": str(case.id)})
    return case
