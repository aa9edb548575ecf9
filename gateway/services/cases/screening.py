"""Screening rounds (普查): counts only; a positive screen opens or updates the student's case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import (
    AttentionTier,
    Case,
    CaseEntry,
    CaseStatus,
    ReportLevel,
    ScreeningRound,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import casework, schedule
from gateway.services.cases.rules import CaseRules
from gateway.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from gateway.services.network import campuses, institutions

SCREENING_TIERS = (AttentionTier.DAILY, AttentionTier.KEY)  # crisis needs a full case


@dataclass(frozen=True)
class Positive:
    """A positive screen recorded on the student's case (opened for it, or already open)."""

    case: Case
    entry: CaseEntry
    opened: bool


def record_round(session: Session, actor: Actor, *, screened_on: date, instrument: str,
                 screened: int, positive: int, campus_id: uuid.UUID | None,
                 rules: CaseRules) -> ScreeningRound:
    """Record a screening round: the day, the approved instrument, how many, how many positive."""
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may record screening rounds.")
    school = institutions.get_active(session, actor.institution_id)
    if school.kind not in casework.SCHOOL_KINDS:
        raise Forbidden("Screening rounds are kept by schools and universities.")
    schedule.check_instrument(rules.of(school.region), instrument, None)
    if positive > screened:
        raise InvalidInput("More positive screens than students screened.")
    campuses.require_own(session, school.id, campus_id)
    screening = ScreeningRound(institution_id=school.id, campus_id=campus_id,
                               screened_on=screened_on, instrument=instrument,
                               screened=screened, positive=positive,
                               created_by=actor.client_id)
    session.add(screening)
    session.flush()
    journal.record(session, actor, "screening.recorded", "screening_round", screening.id,
                   purpose=casework.CASE_PURPOSE,
                   detail={"instrument": instrument, "screened": screened, "positive": positive})
    return screening


def list_rounds(session: Session, actor: Actor) -> list[ScreeningRound]:
    """The school's screening rounds, latest first."""
    return list(session.scalars(select(ScreeningRound).where(
        ScreeningRound.institution_id == actor.institution_id)
        .order_by(ScreeningRound.screened_on.desc(), ScreeningRound.created_at.desc())))


def record_positive(session: Session, actor: Actor, round_id: uuid.UUID, *, subject_key: str,
                    score: int, risk_level: str, attention_tier: AttentionTier,
                    rules: CaseRules) -> Positive:
    """A student who screened positive: an assessment on the open case, or a new case."""
    screening = session.get(ScreeningRound, round_id, with_for_update=True)
    if screening is None or screening.institution_id != actor.institution_id:
        raise NotFound("No screening round with that id.")
    if attention_tier not in SCREENING_TIERS:
        raise InvalidInput("A positive screen opens a daily or key case; a crisis needs its "
                           "leader, team and plan on a case of its own.")
    recorded = session.scalar(select(func.count()).select_from(CaseEntry).where(
        CaseEntry.screening_round_id == screening.id))
    if recorded >= screening.positive:
        raise Conflict("Every positive screen of this round is already recorded.",
                       positive=screening.positive)
    case = session.scalar(select(Case).where(
        Case.institution_id == screening.institution_id, Case.subject_key == subject_key,
        Case.status == CaseStatus.OPEN))
    opened = case is None
    if opened:
        case = casework.open_case(session, actor, casework.NewCase(
            subject_key=subject_key, reported_level=ReportLevel.SCHOOL_CENTRE,
            reporter_role="screening", campus_id=screening.campus_id,
            care=casework.Care(attention_tier=attention_tier)), rules=rules)
    entry = casework.assess(session, actor, case.id, instrument=screening.instrument,
                            score=score, risk_level=risk_level, note=None, rules=rules)
    entry.screening_round_id = screening.id
    session.flush()
    journal.record(session, actor, "screening.positive_recorded", "screening_round",
                   screening.id, purpose=casework.CASE_PURPOSE,
                   detail={"case_id": str(case.id), "opened": opened})
    return Positive(case, entry, opened)
