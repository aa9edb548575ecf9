"""Cases at a school: one student, one leader, one team, one plan, to the end.

Reports rise level by level (dormitory → class → college → school centre); a crisis goes to the
school centre at once. Referrals are made from a case, their outcomes and the follow-up visits
(回访) come back to it, and it closes only after a recorded follow-up.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    AttentionTier,
    Case,
    CaseEntry,
    CaseEntryKind,
    CaseStatus,
    InstitutionKind,
    Referral,
    ReportLevel,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from gateway.services.network import institutions

SCHOOL_KINDS = {InstitutionKind.UNIVERSITY, InstitutionKind.MIDDLE_SCHOOL,
                InstitutionKind.PRIMARY_SCHOOL}
CASE_PURPOSE = "case_management"


@dataclass(frozen=True)
class Care:
    """Who carries the case and how: tier, leader, team and plan (None leaves a field as is)."""

    attention_tier: AttentionTier | None = None
    leader: str | None = None
    team: list[str] | None = None
    plan: str | None = None


@dataclass(frozen=True)
class NewCase:
    """A report about a student, as the school records it."""

    subject_key: str
    reported_level: ReportLevel
    reporter_role: str
    care: Care = field(default_factory=Care)


@dataclass(frozen=True)
class CaseDetail:
    """A case with its entries and the referrals made from it."""

    case: Case
    entries: list[CaseEntry]
    referrals: list[Referral]


def _check_one_of_each(case: Case) -> None:
    """A crisis case needs its student, leader, team and plan before it can be saved."""
    if case.attention_tier is not AttentionTier.CRISIS:
        return
    missing = [name for name, present in (("subject", bool(case.subject_key)),
                                          ("leader", bool(case.leader)),
                                          ("team", bool(case.team_members)),
                                          ("plan", bool(case.plan))) if not present]
    if missing:
        raise InvalidInput("A crisis case needs one student, one leader, one team and one plan.",
                           missing=missing)


def _entry(session: Session, actor: Actor, case: Case, kind: CaseEntryKind,
           **values: object) -> CaseEntry:
    entry = CaseEntry(case_id=case.id, kind=kind, recorded_by=actor.label,
                      recorded_at=values.pop("recorded_at", None) or utcnow(), **values)
    session.add(entry)
    session.flush()
    return entry


def _raise_to(session: Session, actor: Actor, case: Case, level: ReportLevel) -> None:
    case.current_level = level
    _entry(session, actor, case, CaseEntryKind.ESCALATION, level=level)
    journal.record(session, actor, "case.escalated", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"level": level.value})


def _apply_care(case: Case, care: Care) -> None:
    if care.attention_tier is not None:
        case.attention_tier = care.attention_tier
    if care.leader is not None:
        case.leader = care.leader
    if care.team is not None:
        case.team = json.dumps(care.team, ensure_ascii=False)
    if care.plan is not None:
        case.plan = care.plan


def open_case(session: Session, actor: Actor, new: NewCase) -> Case:
    """Record a report; a crisis reaches the school centre at once, whatever its origin."""
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may open cases.")
    school = institutions.get_active(session, actor.institution_id)
    if school.kind not in SCHOOL_KINDS:
        raise Forbidden("Cases are kept by schools and universities.")
    case = Case(institution_id=school.id, subject_key=new.subject_key,
                attention_tier=new.care.attention_tier or AttentionTier.DAILY,
                reported_level=new.reported_level, current_level=new.reported_level,
                reporter_role=new.reporter_role, status=CaseStatus.OPEN,
                created_by=actor.client_id)
    _apply_care(case, new.care)
    _check_one_of_each(case)
    session.add(case)
    session.flush()
    journal.record(session, actor, "case.opened", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"tier": case.attention_tier.value, "level": new.reported_level.value,
                           "reporter_role": new.reporter_role})
    if case.attention_tier is AttentionTier.CRISIS and case.current_level is not \
            ReportLevel.SCHOOL_CENTRE:
        _raise_to(session, actor, case, ReportLevel.SCHOOL_CENTRE)
    return case


def get_own(session: Session, actor: Actor, case_id: uuid.UUID, *,
            for_update: bool = False) -> Case:
    """A case of the actor's institution, or :class:`NotFound`."""
    query = select(Case).where(Case.id == case_id)
    case = session.scalar(query.with_for_update() if for_update else query)
    if case is None or case.institution_id != actor.institution_id:
        raise NotFound("No case with that id.")
    return case


def _open_case(session: Session, actor: Actor, case_id: uuid.UUID) -> Case:
    case = get_own(session, actor, case_id, for_update=True)
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition("The case is closed.", current_status=case.status.value)
    return case


def read(session: Session, actor: Actor, case_id: uuid.UUID) -> CaseDetail:
    """A case with its entries and referrals; the access is audited."""
    case = get_own(session, actor, case_id)
    journal.record(session, actor, "case.read", "case", case.id, purpose=CASE_PURPOSE)
    entries = session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id)
                              .order_by(CaseEntry.recorded_at, CaseEntry.id))
    referrals = session.scalars(select(Referral).where(Referral.case_id == case.id)
                                .order_by(Referral.created_at))
    return CaseDetail(case, list(entries), list(referrals))


def change_care(session: Session, actor: Actor, case_id: uuid.UUID, care: Care) -> Case:
    """Change tier, leader, team or plan; raising the tier to crisis escalates at once."""
    case = _open_case(session, actor, case_id)
    previous_tier = case.attention_tier
    _apply_care(case, care)
    _check_one_of_each(case)
    session.flush()
    journal.record(session, actor, "case.care_changed", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"tier": case.attention_tier.value})
    if case.attention_tier is not previous_tier:
        _entry(session, actor, case, CaseEntryKind.TIER_CHANGE, tier=case.attention_tier)
    if case.attention_tier is AttentionTier.CRISIS and \
            case.current_level is not ReportLevel.SCHOOL_CENTRE:
        _raise_to(session, actor, case, ReportLevel.SCHOOL_CENTRE)
    return case


def escalate(session: Session, actor: Actor, case_id: uuid.UUID) -> Case:
    """Report the case one level up (dormitory → class → college → school centre)."""
    case = _open_case(session, actor, case_id)
    above = case.current_level.next()
    if above is None:
        raise InvalidTransition("The case is already at the school centre.",
                                current_level=case.current_level.value)
    _raise_to(session, actor, case, above)
    return case


def assess(session: Session, actor: Actor, case_id: uuid.UUID, *, instrument: str,
           score: int | None, risk_level: str, note: str | None) -> CaseEntry:
    """Record an assessment (e.g. PHQ-9 score and the assessed risk level)."""
    case = _open_case(session, actor, case_id)
    entry = _entry(session, actor, case, CaseEntryKind.ASSESSMENT, instrument=instrument,
                   score=score, risk_level=risk_level, note=note)
    journal.record(session, actor, "case.assessed", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"instrument": instrument, "risk_level": risk_level})
    return entry


def follow_up(session: Session, actor: Actor, case_id: uuid.UUID, *, note: str,
              visited_at: datetime | None = None,
              referral_id: uuid.UUID | None = None) -> CaseEntry:
    """Record a follow-up visit (回访), optionally about one of the case's referrals."""
    case = _open_case(session, actor, case_id)
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.case_id != case.id:
            raise InvalidInput("The referral was not made from this case.")
    entry = _entry(session, actor, case, CaseEntryKind.FOLLOW_UP, note=note,
                   referral_id=referral_id, recorded_at=visited_at)
    journal.record(session, actor, "case.followed_up", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"referral_id": str(referral_id) if referral_id else None})
    return entry


def close(session: Session, actor: Actor, case_id: uuid.UUID) -> Case:
    """Close the case: only after a recorded follow-up and with no referral still open."""
    case = _open_case(session, actor, case_id)
    follow_ups = session.scalar(select(CaseEntry.id).where(
        CaseEntry.case_id == case.id, CaseEntry.kind == CaseEntryKind.FOLLOW_UP).limit(1))
    if follow_ups is None:
        raise InvalidTransition("A case closes only after a recorded follow-up visit.",
                                current_status=case.status.value)
    open_referrals = [r for r in session.scalars(select(Referral).where(
        Referral.case_id == case.id)) if not r.status.is_final]
    if open_referrals:
        raise InvalidTransition("A referral of this case is still open.",
                                current_status=case.status.value)
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    session.flush()
    journal.record(session, actor, "case.closed", "case", case.id, purpose=CASE_PURPOSE)
    return case


def require_referrable(session: Session, actor: Actor, case_id: uuid.UUID,
                       subject_key: str) -> Case:
    """The open case of the actor a referral is made from, about the same student."""
    case = _open_case(session, actor, case_id)
    if case.subject_key != subject_key:
        raise InvalidInput("The referral's student is not the student of this case.")
    return case


def record_referral_outcome(session: Session, actor: Actor, referral: Referral,
                            note: str | None) -> None:
    """A referral of the case ended: its outcome (``note``, as the sender may see it) returns."""
    session.add(CaseEntry(case_id=referral.case_id, kind=CaseEntryKind.REFERRAL_OUTCOME,
                          recorded_by=actor.label,
                          referral_id=referral.id, referral_status=referral.status.value,
                          note=note))
    session.flush()
