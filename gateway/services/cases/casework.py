"""Cases at a school: one student, one leader, one team, one plan, to the end.

Reports rise level by level (dormitory → class → college → campus, for a case of a campus →
school centre); a crisis goes to the school centre at once. A student has at most one open case
per school (one file, 一生一档); its tier sets when the next review (研判) is due. Referrals are
made from a case, their outcomes and
the follow-up visits (回访) come back to it, and it closes only after a recorded follow-up and
the follow-ups a hand-back planned (or with a closure reason the coordinators see).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import (
    AttentionTier,
    Case,
    CaseEntry,
    CaseEntryKind,
    CaseStatus,
    InstitutionKind,
    PlannedFollowUp,
    Referral,
    ReportLevel,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import risk_factors, schedule
from gateway.services.cases.rules import CaseRules
from gateway.services.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OpenCaseExists,
)
from gateway.services.network import campuses, institutions

SCHOOL_KINDS = {InstitutionKind.UNIVERSITY, InstitutionKind.MIDDLE_SCHOOL,
                InstitutionKind.PRIMARY_SCHOOL}
CASE_PURPOSE = "case_management"


@dataclass(frozen=True)
class Care:
    """Who carries the case and how: tier, leader, team, plan and risk factors (None leaves a
    field as is)."""

    attention_tier: AttentionTier | None = None
    leader: str | None = None
    team: list[str] | None = None
    plan: str | None = None
    tier_reason: str | None = None
    risk_factors: list[str] | None = None


@dataclass(frozen=True)
class NewCase:
    """A report about a student, as the school records it."""

    subject_key: str
    reported_level: ReportLevel
    reporter_role: str
    care: Care = field(default_factory=Care)
    campus_id: uuid.UUID | None = None


@dataclass(frozen=True)
class CaseDetail:
    """A case with its entries and the referrals made from it."""

    case: Case
    entries: list[CaseEntry]
    referrals: list[Referral]


def check_one_of_each(case: Case) -> None:
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


def add_entry(session: Session, actor: Actor, case: Case, kind: CaseEntryKind,
              **values: object) -> CaseEntry:
    """Add an entry to the case's record (``recorded_at`` defaults to now)."""
    entry = CaseEntry(case_id=case.id, kind=kind, recorded_by=actor.label,
                      recorded_at=values.pop("recorded_at", None) or utcnow(), **values)
    session.add(entry)
    session.flush()
    return entry


def _raise_to(session: Session, actor: Actor, case: Case, level: ReportLevel) -> None:
    case.current_level = level
    add_entry(session, actor, case, CaseEntryKind.ESCALATION, level=level)
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
    if care.risk_factors is not None:
        case.risk_factors = json.dumps(risk_factors.normalise(care.risk_factors))


def _open_case_of(session: Session, institution_id: uuid.UUID, subject_key: str) -> Case | None:
    return session.scalar(select(Case).where(Case.institution_id == institution_id,
                                             Case.subject_key == subject_key,
                                             Case.status == CaseStatus.OPEN))


def _refuse_second(open_case: Case) -> OpenCaseExists:
    return OpenCaseExists("The student already has an open case at this school; record on it.",
                          open_case_id=str(open_case.id))


def open_case(session: Session, actor: Actor, new: NewCase, *, rules: CaseRules) -> Case:
    """Record a report; a crisis reaches the school centre at once, whatever its origin.

    A second open case for the same student is refused (:class:`OpenCaseExists` names the open
    one); the database's partial unique index decides races between concurrent requests.
    """
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may open cases.")
    school = institutions.get_active(session, actor.institution_id)
    if school.kind not in SCHOOL_KINDS:
        raise Forbidden("Cases are kept by schools and universities.")
    campuses.require_own(session, school.id, new.campus_id)
    if new.reported_level is ReportLevel.CAMPUS and new.campus_id is None:
        raise InvalidInput("A report at campus level names its campus.", missing=["campus_id"])
    case = Case(institution_id=school.id, campus_id=new.campus_id, subject_key=new.subject_key,
                attention_tier=new.care.attention_tier or AttentionTier.DAILY,
                reported_level=new.reported_level, current_level=new.reported_level,
                reporter_role=new.reporter_role, status=CaseStatus.OPEN,
                created_by=actor.client_id, created_at=utcnow())
    _apply_care(case, new.care)
    check_one_of_each(case)
    existing = _open_case_of(session, school.id, new.subject_key)
    if existing is not None:
        raise _refuse_second(existing)
    case.next_review_at = schedule.next_review(rules.of(school.region), case.attention_tier,
                                               case.created_at)
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        existing = _open_case_of(session, school.id, new.subject_key)
        if existing is None:
            raise
        raise _refuse_second(existing) from None
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


def require_open(case: Case) -> Case:
    """``case`` if it is open; :class:`InvalidTransition` if it is closed."""
    if case.status is CaseStatus.CLOSED:
        raise InvalidTransition("The case is closed.", current_status=case.status.value)
    return case


def _open_case(session: Session, actor: Actor, case_id: uuid.UUID) -> Case:
    return require_open(get_own(session, actor, case_id, for_update=True))


def read(session: Session, actor: Actor, case_id: uuid.UUID) -> CaseDetail:
    """A case with its entries and referrals; the access is audited."""
    case = get_own(session, actor, case_id)
    journal.record(session, actor, "case.read", "case", case.id, purpose=CASE_PURPOSE)
    entries = session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id)
                              .order_by(CaseEntry.recorded_at, CaseEntry.id))
    referrals = session.scalars(select(Referral).where(Referral.case_id == case.id)
                                .order_by(Referral.created_at))
    return CaseDetail(case, list(entries), list(referrals))


def change_care(session: Session, actor: Actor, case_id: uuid.UUID, care: Care, *,
                rules: CaseRules) -> Case:
    """Change tier, leader, team or plan; a tier change needs its reason and is audited,
    moves the next review on, and raising the tier to crisis escalates at once."""
    case = _open_case(session, actor, case_id)
    previous_tier = case.attention_tier
    changes_tier = care.attention_tier not in (None, previous_tier)
    if changes_tier and care.tier_reason is None:
        raise InvalidInput("A tier change needs its reason.", missing=["tier_reason"])
    _apply_care(case, care)
    check_one_of_each(case)
    session.flush()
    journal.record(session, actor, "case.care_changed", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"tier": case.attention_tier.value})
    if changes_tier:
        record_tier_change(session, actor, case, previous_tier, care.tier_reason,
                           rules=rules, at=utcnow())
    return case


def record_tier_change(session: Session, actor: Actor, case: Case, previous: AttentionTier,
                       reason: str, *, rules: CaseRules, at: datetime) -> None:
    """Audit a tier change with its reason, reschedule the review, escalate a crisis."""
    add_entry(session, actor, case, CaseEntryKind.TIER_CHANGE, tier=case.attention_tier,
              recorded_at=at)
    journal.record(session, actor, "case.tier_changed", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"from": previous.value, "to": case.attention_tier.value,
                           "reason": reason})
    region = institutions.get_active(session, case.institution_id).region
    case.next_review_at = schedule.next_review(rules.of(region), case.attention_tier, at)
    if case.attention_tier is AttentionTier.CRISIS and \
            case.current_level is not ReportLevel.SCHOOL_CENTRE:
        _raise_to(session, actor, case, ReportLevel.SCHOOL_CENTRE)


def escalate(session: Session, actor: Actor, case_id: uuid.UUID) -> Case:
    """Report the case one level up (dormitory → class → college → campus → school centre;
    a case without a campus skips the campus level)."""
    case = _open_case(session, actor, case_id)
    above = case.current_level.next(has_campus=case.campus_id is not None)
    if above is None:
        raise InvalidTransition("The case is already at the school centre.",
                                current_level=case.current_level.value)
    _raise_to(session, actor, case, above)
    return case


def assess(session: Session, actor: Actor, case_id: uuid.UUID, *, instrument: str,
           score: int | None, risk_level: str, note: str | None, rules: CaseRules) -> CaseEntry:
    """Record an assessment (e.g. PHQ-9 score and the assessed risk level).

    The instrument must be one the school's region approves, the score within its range.
    """
    case = _open_case(session, actor, case_id)
    region = institutions.get_active(session, case.institution_id).region
    schedule.check_instrument(rules.of(region), instrument, score)
    case.risk_level = risk_level
    entry = add_entry(session, actor, case, CaseEntryKind.ASSESSMENT, instrument=instrument,
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
    entry = add_entry(session, actor, case, CaseEntryKind.FOLLOW_UP, note=note,
                      referral_id=referral_id, recorded_at=visited_at)
    planned = _next_planned(session, case)
    if planned is not None:  # the earliest follow-up a hand-back planned is now done
        planned.done_entry_id = entry.id
        session.flush()
        case.next_follow_up_at = next_planned_due(session, case)
    journal.record(session, actor, "case.followed_up", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"referral_id": str(referral_id) if referral_id else None,
                           "planned_follow_up_id": str(planned.id) if planned else None})
    return entry


def _next_planned(session: Session, case: Case) -> PlannedFollowUp | None:
    return session.scalar(select(PlannedFollowUp).where(
        PlannedFollowUp.case_id == case.id, PlannedFollowUp.done_entry_id.is_(None))
        .order_by(PlannedFollowUp.due_at, PlannedFollowUp.id).limit(1))


def next_planned_due(session: Session, case: Case) -> datetime | None:
    """When the case's earliest planned follow-up not yet done falls due."""
    return session.scalar(select(func.min(PlannedFollowUp.due_at)).where(
        PlannedFollowUp.case_id == case.id, PlannedFollowUp.done_entry_id.is_(None)))


def close(session: Session, actor: Actor, case_id: uuid.UUID,
          reason: str | None = None) -> Case:
    """Close the case: only after a recorded follow-up, with no referral still open, and once
    the planned follow-ups are done, unless a closure ``reason`` (shown to coordinators) is
    given for closing earlier."""
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
    pending = session.scalar(select(func.count()).select_from(PlannedFollowUp).where(
        PlannedFollowUp.case_id == case.id, PlannedFollowUp.done_entry_id.is_(None)))
    if pending and reason is None:
        raise InvalidTransition("Planned follow-ups are not done; give a closure reason to "
                                "close before them.", pending_follow_ups=pending)
    case.status, case.closed_at, case.closure_reason = CaseStatus.CLOSED, utcnow(), reason
    case.next_review_at = case.next_follow_up_at = None
    session.flush()
    journal.record(session, actor, "case.closed", "case", case.id, purpose=CASE_PURPOSE,
                   detail={"reason": reason, "pending_follow_ups": pending})
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
