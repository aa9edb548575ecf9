"""Cases: a school's own record of a concern about a student, from report to follow-up."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText


class AttentionTier(enum.StrEnum):
    """How closely the school watches the student."""

    DAILY = "daily"
    KEY = "key"
    CRISIS = "crisis"


class ReportLevel(enum.StrEnum):
    """Where in the school a report stands (dormitory → class → college → campus → school
    centre); reports rise one level at a time."""

    DORMITORY = "dormitory"
    CLASS = "class"
    COLLEGE = "college"
    CAMPUS = "campus"
    SCHOOL_CENTRE = "school_centre"

    def next(self, *, has_campus: bool = True) -> ReportLevel | None:
        """The level above, or None at the school centre; a single-campus school (or a case
        without a campus) has no campus level."""
        order = [level for level in ReportLevel
                 if has_campus or level is not ReportLevel.CAMPUS]
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


# Why a tier changes (audited as codes: free text stays in the encrypted entry note).
TIER_REASONS = ("assessment", "incident", "improvement", "hospital_care", "hand_back",
                "key_period", "review", "other")
# Why a case closes before its planned follow-ups are done (shown to coordinators in the audit).
CLOSURE_REASONS = ("moved_away", "graduated", "handed_over", "declined_follow_up",
                   "care_elsewhere", "other")
# The school's return-to-school assessment (复学评估).
RETURN_OUTCOMES = ("returned", "returned_with_support", "deferred")


class CaseStatus(enum.StrEnum):
    """Open until a recorded follow-up allows closing."""

    OPEN = "open"
    CLOSED = "closed"


class CaseEntryKind(enum.StrEnum):
    """What a case entry records."""

    ASSESSMENT = "assessment"
    ESCALATION = "escalation"
    TIER_CHANGE = "tier_change"
    REFERRAL_OUTCOME = "referral_outcome"
    FOLLOW_UP = "follow_up"
    REVIEW = "review"
    HAND_BACK = "hand_back"
    RETURN_TO_SCHOOL = "return_to_school"
    AFTERCARE_PLAN = "aftercare_plan"
    HANDOVER_SENT = "handover_sent"


class Case(Base):
    """One student, one leader, one team, one plan: the school's case."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_institution", "institution_id", "created_at"),
        Index("ix_cases_review_due", "institution_id", "next_review_at"),
        # One file per student: at most one open case per student and institution.
        Index("uq_cases_one_open", "institution_id", "subject_key", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    campus_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campuses.id"))
    subject_key: Mapped[str] = mapped_column(String(64))
    attention_tier: Mapped[AttentionTier] = mapped_column(enum_type(AttentionTier))
    reported_level: Mapped[ReportLevel] = mapped_column(enum_type(ReportLevel))
    current_level: Mapped[ReportLevel] = mapped_column(enum_type(ReportLevel))
    reporter_role: Mapped[str] = mapped_column(String(64))
    leader: Mapped[str | None] = mapped_column(EncryptedText("cases.leader"))
    team: Mapped[str | None] = mapped_column(EncryptedText("cases.team"))  # JSON list
    plan: Mapped[str | None] = mapped_column(EncryptedText("cases.plan"))
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus), default=CaseStatus.OPEN)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # The ledger (台账): when the next review (研判) and the next planned follow-up fall due.
    next_review_at: Mapped[datetime | None]
    next_follow_up_at: Mapped[datetime | None]
    risk_level: Mapped[str | None] = mapped_column(String(16))  # of the latest assessment
    risk_factors: Mapped[str | None] = mapped_column(EncryptedText("cases.risk_factors"))  # JSON
    closure_reason: Mapped[str | None] = mapped_column(String(32))

    @property
    def team_members(self) -> list[str]:
        """The case team (stored encrypted as a JSON list)."""
        return json.loads(self.team) if self.team else []

    @property
    def risk_factor_codes(self) -> list[str]:
        """The case's risk factor codes (stored encrypted as a JSON list)."""
        return json.loads(self.risk_factors) if self.risk_factors else []


class CaseEntry(Base):
    """An assessment, escalation, tier change, referral outcome or follow-up visit (回访)."""

    __tablename__ = "case_entries"
    __table_args__ = (Index("ix_case_entries_case", "case_id", "recorded_at"),)

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[CaseEntryKind] = mapped_column(enum_type(CaseEntryKind))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))
    level: Mapped[ReportLevel | None] = mapped_column(enum_type(ReportLevel))
    tier: Mapped[AttentionTier | None] = mapped_column(enum_type(AttentionTier))
    instrument: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int | None]
    risk_level: Mapped[str | None] = mapped_column(String(16))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"))
    referral_status: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32))  # review: kept/raised/lowered …
    screening_round_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("screening_rounds.id"))  # an assessment from a positive screen
    note: Mapped[str | None] = mapped_column(EncryptedText("case_entries.note"))
