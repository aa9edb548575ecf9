"""A seeded month for the report tests: November 2026 in Shanghai, with known counts.

Region ``r1`` holds a university (it holds statistics consents), a hospital and a middle
school (it holds none); a school of region ``r2`` also refers to the hospital. Every referral
carries a pseudonym and a personal summary that no report may show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.db import transaction
from gateway.models import (
    AttentionTier,
    BreakGlassRelease,
    Case,
    Consent,
    Grantor,
    Institution,
    InstitutionKind,
    Priority,
    Purpose,
    Referral,
    ReferralReason,
    ReferralStatus,
    ReportLevel,
    ReviewOutcome,
    utcnow,
)

MONTH_FIRST = "2026-11-01"
SUMMARY = "私人情况 李同学 电话 13800000000"


@dataclass
class Seeded:
    """What the seeded month holds that the tests look for (and must not find)."""

    region: str
    university: str
    hospital: str
    school: str
    pseudonyms: list[str] = field(default_factory=list)
    subject_keys: list[str] = field(default_factory=list)


def _institution(session, name: str, kind: InstitutionKind, region: str, **counts) -> Institution:
    institution = Institution(name=name, kind=kind, region=region, country="CN", **counts)
    session.add(institution)
    session.flush()
    return institution


def _consent(session, institution: Institution, subject_key: str, purpose: Purpose) -> None:
    session.add(Consent(institution_id=institution.id, subject_key=subject_key,
                        grantor=Grantor.STUDENT, purpose=purpose, recipient_kinds=["hospital"],
                        data_categories=[], valid_from=utcnow() - timedelta(days=60),
                        valid_until=utcnow() + timedelta(days=60), created_by="test"))


def seed_month(app, region: str = "r1") -> Seeded:
    """Referrals, releases and cases of November 2026 (Shanghai) with the documented counts."""
    base = datetime(2026, 11, 9, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Monday
    seeded = Seeded(region, f"示范大学-{region}", f"精神卫生中心-{region}", f"第一中学-{region}")
    with transaction(app) as session:
        uni = _institution(session, seeded.university, InstitutionKind.UNIVERSITY, region,
                           student_count=12000, counsellor_count=4)
        hosp = _institution(session, seeded.hospital, InstitutionKind.HOSPITAL, region)
        school = _institution(session, seeded.school, InstitutionKind.MIDDLE_SCHOOL, region,
                              student_count=9000, counsellor_count=2)
        other = _institution(session, f"外区学校-{region}", InstitutionKind.MIDDLE_SCHOOL,
                             f"{region}-other")

        def referral(sender, priority, reason, status, *, receipt=None, decision=None,
                     submitted=base, consent=True, due=None):
            key = uuid.uuid4().hex
            pseudonym = "ps" + uuid.uuid4().hex
            seeded.pseudonyms.append(pseudonym)
            seeded.subject_keys.append(key)
            minutes = timedelta(minutes=1)
            session.add(Referral(
                sender_id=sender.id, recipient_id=hosp.id, subject_key=key,
                recipient_pseudonym=pseudonym, priority=priority, reason=reason, status=status,
                summary=SUMMARY, personal_data=SUMMARY, created_by="test",
                submitted_at=submitted,
                received_at=submitted + receipt * minutes if receipt else None,
                decided_at=submitted + decision * minutes if decision else None,
                receipt_due_at=submitted + due[0] * minutes if due else None,
                decision_due_at=submitted + due[1] * minutes if due else None))
            _consent(session, sender, key,
                     Purpose.AGGREGATE_STATISTICS if consent else Purpose.REFERRAL)

        for n in range(7):  # routine, completed, consented
            referral(uni, Priority.ROUTINE, ReferralReason.DEPRESSIVE_SYMPTOMS,
                     ReferralStatus.COMPLETED, receipt=30, decision=120,
                     submitted=base + timedelta(days=n % 3))
        for n in range(6):  # green channel: receipt 5 of 6 in time, decision 4 of 6
            referral(uni, Priority.GREEN_CHANNEL, ReferralReason.SUICIDE_RISK,
                     ReferralStatus.ACCEPTED if n < 3 else ReferralStatus.IN_PROGRESS,
                     receipt=10 if n < 5 else 20, decision=60 if n < 4 else 150,
                     due=(15, 120), submitted=base + timedelta(days=7))
        for _ in range(6):  # urgent, declined, no statistics consent at the school
            referral(school, Priority.URGENT, ReferralReason.ANXIETY_SYMPTOMS,
                     ReferralStatus.DECLINED, receipt=30, decision=240, consent=False)
        for _ in range(2):  # from another region, still waiting
            referral(other, Priority.ROUTINE, ReferralReason.OTHER, ReferralStatus.SUBMITTED,
                     consent=False)
        referral(uni, Priority.ROUTINE, ReferralReason.OTHER, ReferralStatus.COMPLETED,
                 receipt=5, decision=5, submitted=base - timedelta(days=20))  # October

        opened = base + timedelta(days=2)
        for reviewed, outcome in ((opened + timedelta(hours=5), ReviewOutcome.JUSTIFIED),
                                  (opened + timedelta(days=5), ReviewOutcome.UNJUSTIFIED),
                                  (None, None)):
            session.add(BreakGlassRelease(
                institution_id=uni.id, recipient_id=hosp.id, region=region,
                subject_key=uuid.uuid4().hex, justification=SUMMARY, created_by="test",
                created_at=opened, expires_at=opened + timedelta(hours=4),
                review_due_at=opened + timedelta(hours=72), reviewed_at=reviewed,
                reviewed_by="coordinator:x" if reviewed else None, outcome=outcome))
        for tier, n in ((AttentionTier.KEY, 5), (AttentionTier.CRISIS, 2)):
            for _ in range(n):
                session.add(Case(institution_id=uni.id, subject_key=uuid.uuid4().hex,
                                 attention_tier=tier, reported_level=ReportLevel.CLASS,
                                 current_level=ReportLevel.SCHOOL_CENTRE, reporter_role="x",
                                 leader=SUMMARY, created_by="test"))
    return seeded
