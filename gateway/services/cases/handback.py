"""Hand-back after hospital care (复学, 善后), and what the school records after it.

The hospital that took a referral made from a case sends the hand-back: discharge advice
(encrypted; the school reads it only under a ``follow_up`` consent naming the hospital), the
follow-ups it recommends (days after the hand-back), whether return to school is advised and
from when. The follow-ups become due dates in the school's ledger. The school then records its
return-to-school assessment (复学评估) and aftercare plan (善后) on the case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    RETURN_OUTCOMES,
    AlertKind,
    Case,
    CaseEntry,
    CaseEntryKind,
    CaseStatus,
    DataCategory,
    HandBack,
    Institution,
    PlannedFollowUp,
    Purpose,
    Referral,
    ReferralStatus,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.alerts import raise_alert
from gateway.services.audit import journal
from gateway.services.cases import casework
from gateway.services.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from gateway.services.privacy import consent
from gateway.services.privacy.policy import Policy

HAND_BACK_STATUSES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS,
                                ReferralStatus.COMPLETED})


@dataclass(frozen=True)
class NewHandBack:
    """A hand-back as the hospital sends it."""

    discharge_advice: str
    follow_up_after_days: list[int]
    return_to_school_advised: bool
    return_on: date | None = None


@dataclass(frozen=True)
class HandBackView:
    """A hand-back as the school sees it: the advice only if a ``follow_up`` consent allows."""

    hand_back: HandBack
    follow_ups: list[PlannedFollowUp]
    discharge_advice: str | None
    withheld: dict | None


def send(session: Session, actor: Actor, referral_id: uuid.UUID, new: NewHandBack, *,
         at: datetime | None = None) -> HandBack:
    """The recipient hospital hands the student back on a referral made from a case."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.recipient_id != actor.institution_id:
        raise NotFound("No referral with that id.")
    if referral.case_id is None:
        raise InvalidInput("The referral was not made from a case: nothing to hand back to.")
    if referral.status not in HAND_BACK_STATUSES:
        raise InvalidTransition("A hand-back follows an accepted referral.",
                                current_status=referral.status.value)
    if session.scalar(select(HandBack.id).where(HandBack.referral_id == referral.id)):
        raise Conflict("This referral has already been handed back.")
    if not new.return_to_school_advised and new.return_on is not None:
        raise InvalidInput("A return date goes with return to school advised.")
    case = session.get(Case, referral.case_id, with_for_update=True)
    moment = at or utcnow()
    hand_back = HandBack(referral_id=referral.id, case_id=case.id,
                         discharge_advice=new.discharge_advice,
                         return_to_school_advised=new.return_to_school_advised,
                         return_on=new.return_on, created_by=actor.client_id,
                         created_at=moment)
    session.add(hand_back)
    session.flush()
    # a case the school has closed keeps the advice, but no follow-ups are planned on it
    planned = sorted(set(new.follow_up_after_days)) if case.status is CaseStatus.OPEN else []
    for days in planned:
        session.add(PlannedFollowUp(case_id=case.id, hand_back_id=hand_back.id,
                                    due_at=moment + timedelta(days=days)))
    session.flush()
    if planned:
        case.next_follow_up_at = casework.next_planned_due(session, case)
    casework.add_entry(session, actor, case, CaseEntryKind.HAND_BACK, referral_id=referral.id,
                       recorded_at=moment)
    journal.record(session, actor, "case.handed_back", "case", case.id, purpose="follow_up",
                   detail={"referral_id": str(referral.id), "hand_back_id": str(hand_back.id),
                           "follow_ups": len(planned),
                           "return_to_school_advised": new.return_to_school_advised})
    school = session.get(Institution, case.institution_id)
    raise_alert(session, actor, kind=AlertKind.HANDED_BACK, region=school.region,
                cause_type="hand_back", cause_id=hand_back.id, institution_id=school.id,
                pseudonym=referral.recipient_pseudonym, notice={
                    "case_id": str(case.id), "referral_id": str(referral.id),
                    "hand_back_id": str(hand_back.id), "institution_id": str(school.id),
                    "follow_ups": len(planned),
                    "return_to_school_advised": new.return_to_school_advised})
    return hand_back


def read(session: Session, actor: Actor, case_id: uuid.UUID, *,
         policy: Policy) -> list[HandBackView]:
    """The hand-backs of the school's case; discharge advice released per ``follow_up`` consent."""
    case = casework.get_own(session, actor, case_id)
    views = []
    for hand_back in session.scalars(select(HandBack).where(HandBack.case_id == case.id)
                                     .order_by(HandBack.created_at)):
        referral = session.get(Referral, hand_back.referral_id)
        decision = consent.authorise(
            session, actor, consent.SubjectRef(case.institution_id, case.subject_key),
            Purpose.FOLLOW_UP, referral.recipient_id, [DataCategory.CLINICAL_NOTES],
            policy=policy)
        follow_ups = list(session.scalars(select(PlannedFollowUp).where(
            PlannedFollowUp.hand_back_id == hand_back.id).order_by(PlannedFollowUp.due_at)))
        journal.record(session, actor, "case.hand_back_read", "case", case.id,
                       purpose=Purpose.FOLLOW_UP.value, consent_id=decision.consent_id,
                       detail={"hand_back_id": str(hand_back.id),
                               "advice_released": decision.allowed})
        views.append(HandBackView(
            hand_back, follow_ups, hand_back.discharge_advice if decision.allowed else None,
            None if decision.allowed else {"reason": decision.reason, **decision.missing}))
    return views


def record_return_to_school(session: Session, actor: Actor, case_id: uuid.UUID, *,
                            outcome: str, note: str | None) -> CaseEntry:
    """The school's return-to-school assessment (复学评估): returned, with support, or deferred."""
    if outcome not in RETURN_OUTCOMES:
        raise InvalidInput("Unknown return-to-school outcome.", allowed=list(RETURN_OUTCOMES))
    case = casework.require_open(casework.get_own(session, actor, case_id, for_update=True))
    entry = casework.add_entry(session, actor, case, CaseEntryKind.RETURN_TO_SCHOOL,
                               outcome=outcome, note=note)
    journal.record(session, actor, "case.return_assessed", "case", case.id,
                   purpose=casework.CASE_PURPOSE, detail={"outcome": outcome})
    return entry


def record_aftercare_plan(session: Session, actor: Actor, case_id: uuid.UUID, *,
                          plan: str) -> CaseEntry:
    """The school's aftercare plan (善后), kept encrypted in the case's record."""
    case = casework.require_open(casework.get_own(session, actor, case_id, for_update=True))
    entry = casework.add_entry(session, actor, case, CaseEntryKind.AFTERCARE_PLAN, note=plan)
    journal.record(session, actor, "case.aftercare_planned", "case", case.id,
                   purpose=casework.CASE_PURPOSE)
    return entry
