"""Demo data of the inner circulation and one closed-loop crisis, made through the services.

Everything is fictional: a supervisor with upcoming slots at the university, two training
resources shared with the partner schools, and a crisis case at the university whose student
consented to a green-channel referral to the hospital (the delivery worker then pushes it to the
partner simulator as a FHIR Bundle).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gateway.case_rules import current_case_rules
from gateway.keystore import current_keyring
from gateway.models import (
    AttentionTier,
    DataCategory,
    Grantor,
    InstitutionKind,
    Priority,
    Purpose,
    Qualification,
    ReferralReason,
    ReportLevel,
    ResourceKind,
    SlotKind,
    SlotMode,
    utcnow,
)
from gateway.privacy import current_policy
from gateway.services.actor import Actor
from gateway.services.cases import casework
from gateway.services.inner import resources, slots, supervisors
from gateway.services.privacy import consent, subjects
from gateway.services.referrals import intake

SHANGHAI = ZoneInfo("Asia/Shanghai")
STUDENT = "demo-stu-0001"  # the university's local reference of a fictional student
SCHOOL_KINDS = [InstitutionKind.MIDDLE_SCHOOL.value, InstitutionKind.PRIMARY_SCHOOL.value,
                InstitutionKind.COMMUNITY_CENTRE.value]


def _local(days: int, hour: int) -> datetime:
    """Wall-clock time in Shanghai ``days`` from today at ``hour``:00 (naive, as slots take it)."""
    day = datetime.now(SHANGHAI) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)


def _supervision(session: Session, university: Actor) -> dict:
    """A supervisor with weekly individual slots and one online group slot."""
    supervisor = supervisors.register(
        session, university, display_name="王老师 Ms Wang", credential="国家二级心理咨询师",
        qualification=Qualification.QUALIFIED_COUNSELLOR, time_zone="Asia/Shanghai")
    weekly = slots.publish(session, university, supervisor.id, slots.Availability(
        kind=SlotKind.INDIVIDUAL, mode=SlotMode.ON_SITE, capacity=1, local_start=_local(2, 14),
        duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=4", address="心理中心 201 室"))
    group = slots.publish(session, university, supervisor.id, slots.Availability(
        kind=SlotKind.GROUP, mode=SlotMode.ONLINE, capacity=6, local_start=_local(3, 19),
        duration_minutes=90))
    return {"supervisor_id": str(supervisor.id), "slots": len(weekly) + len(group)}


def _training(session: Session, university: Actor) -> list[str]:
    """A 5·25 mental-health day event (Chinese) and a crisis-intervention course (English)."""
    day = datetime.now(SHANGHAI).replace(month=5, day=25, hour=9, minute=0, second=0,
                                         microsecond=0)
    if day <= datetime.now(SHANGHAI) + timedelta(days=1):
        day = day.replace(year=day.year + 1)
    event = resources.NewResource(
        kind=ResourceKind.EVENT, language="zh-CN", title="5·25 大学生心理健康日 开放活动",
        summary="心理健康节开幕、朋辈辅导工作坊与家长讲座。欢迎合作学校的心理老师参加。",
        tags=["5·25", "心理健康日", "朋辈辅导"], institution_kinds=SCHOOL_KINDS,
        event=resources.EventDetails(starts_at=day, ends_at=day + timedelta(hours=8),
                                     time_zone="Asia/Shanghai", capacity=120,
                                     location="示范大学 学生活动中心"))
    course = resources.NewResource(
        kind=ResourceKind.COURSE, language="en",
        title="危机干预 Crisis intervention for school counsellors",
        summary="Six sessions: risk assessment, safety planning, the green channel to the "
                "hospital, working with parents, and 回访 follow-up after discharge.",
        tags=["危机干预", "crisis intervention", "green channel"],
        institution_kinds=SCHOOL_KINDS)
    return [str(resources.create(session, university, new).id) for new in (event, course)]


def _crisis(session: Session, university: Actor, hospital_id: uuid.UUID) -> dict:
    """A crisis case, the student's consents, and a green-channel referral from the case."""
    key = subjects.subject_key(current_keyring().pseudonyms, university.institution_id, STUDENT)
    case = casework.open_case(session, university, casework.NewCase(
        subject_key=key, reported_level=ReportLevel.DORMITORY,
        reporter_role="dormitory_officer",
        care=casework.Care(attention_tier=AttentionTier.CRISIS, leader="Deputy head Wang",
                        team=["counsellor Li", "class teacher Zhao"],
                        plan="24h watch; parents informed; green-channel referral.")),
        rules=current_case_rules())
    for purpose in (Purpose.GREEN_CHANNEL_REFERRAL, Purpose.FOLLOW_UP):
        consent.grant(session, university, subject_key=key, grantor=Grantor.STUDENT,
                      purpose=purpose, data_categories=[DataCategory.CLINICAL_NOTES],
                      valid_until=utcnow() + timedelta(days=30), recipient_id=hospital_id,
                      subject_birth_date=datetime(2004, 3, 1).date(), policy=current_policy())
    created = intake.create(
        session, university, current_keyring().pseudonyms, intake.NewReferral(
            recipient_id=hospital_id, subject_ref=STUDENT, priority=Priority.GREEN_CHANNEL,
            reason=ReferralReason.SUICIDE_RISK, case_id=case.id,
            summary="Student expressed a plan; dormitory officer escalated."),
        policy=current_policy())
    return {"case_id": str(case.id), "referral_id": str(created.referral.id)}


def populate(session: Session, university: Actor, hospital_id: uuid.UUID) -> dict:
    """Create the inner-circulation data and the crisis; return their ids for network.json."""
    return {**_supervision(session, university), "resource_ids": _training(session, university),
            **_crisis(session, university, hospital_id)}
