"""The board: every overdue referral and overdue review, tiles that open a filtered list
(pseudonyms or case references only), refreshing each minute."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from gateway.db import transaction
from gateway.models import (
    AttentionTier,
    Campus,
    Case,
    CaseStatus,
    Institution,
    InstitutionKind,
    Priority,
    Referral,
    ReferralReason,
    ReferralStatus,
    ReportLevel,
    utcnow,
)
from tests.admin_support import make_account, sign_in

SUMMARY = "私人情况 王同学"


@pytest.fixture
def scene(app, client):
    assert sign_in(client, make_account(app, region="r1")).status_code == 302
    now = utcnow()
    with transaction(app) as session:
        school = Institution(name="一中", kind=InstitutionKind.MIDDLE_SCHOOL, region="r1",
                             country="CN")
        hospital = Institution(name="精卫中心", kind=InstitutionKind.HOSPITAL, region="r1",
                               country="CN")
        session.add_all([school, hospital])
        session.flush()
        pseudonyms = {}
        hour = timedelta(hours=1)
        for name, priority, status, expires in (
                ("late_routine", Priority.ROUTINE, ReferralStatus.RECEIVED, now - hour),
                ("fresh_urgent", Priority.URGENT, ReferralStatus.SUBMITTED, now + 48 * hour),
                ("done", Priority.ROUTINE, ReferralStatus.COMPLETED, now - hour)):
            pseudonyms[name] = "psn_" + uuid.uuid4().hex
            session.add(Referral(
                sender_id=school.id, recipient_id=hospital.id, subject_key=uuid.uuid4().hex,
                recipient_pseudonym=pseudonyms[name], priority=priority,
                reason=ReferralReason.OTHER, status=status, summary=SUMMARY, created_by="test",
                submitted_at=now - timedelta(days=3), expires_at=expires))
    return pseudonyms


def test_overdue_lists_every_priority_and_the_page_refreshes(client, scene):
    html = client.get("/admin/board").get_data(as_text=True)
    overdue = html.split('id="overdue"')[1].split("</table>")[0]
    assert scene["late_routine"][:16] in overdue
    assert scene["fresh_urgent"][:16] not in overdue and scene["done"][:16] not in overdue
    assert '<meta http-equiv="refresh" content="60">' in html
    assert 'href="/admin/referrals?status=received"' in html  # the tile opens its list


def test_a_tile_opens_the_referrals_of_its_status_with_pseudonyms_only(client, scene):
    page = client.get("/admin/referrals?status=submitted").get_data(as_text=True)
    assert scene["fresh_urgent"][:16] in page
    assert scene["late_routine"][:16] not in page and SUMMARY not in page
    everything = client.get("/admin/referrals").get_data(as_text=True)
    assert all(p[:16] in everything for p in scene.values())
    other = client.get("/admin/referrals?status=nonsense").get_data(as_text=True)
    assert all(p[:16] in other for p in scene.values())  # an unknown status filters nothing


def _tile(html: str, name: str) -> str:
    return html.split(f'data-tile="{name}"')[1].split("</li>")[0]


def test_the_overdue_tile_opens_every_overdue_referral(client, scene):
    tile = _tile(client.get("/admin/board").get_data(as_text=True), "overdue-referrals")
    assert '<span class="n">1</span>' in tile and 'href="/admin/referrals?overdue=1"' in tile
    page = client.get("/admin/referrals?overdue=1").get_data(as_text=True)
    assert 'id="overdue-filter"' in page and scene["late_routine"][:16] in page
    assert scene["fresh_urgent"][:16] not in page and scene["done"][:16] not in page
    assert SUMMARY not in page


@pytest.fixture
def cases(app):
    """Open cases of a school in r1 (one a day overdue, one due in a week, one closed but
    overdue) and one overdue in r2; each with a personal note that no page may show."""
    now = utcnow()
    keys = {}
    with transaction(app) as session:
        here = Institution(name="二中", kind=InstitutionKind.MIDDLE_SCHOOL, region="r1",
                           country="CN")
        there = Institution(name="外区中学", kind=InstitutionKind.MIDDLE_SCHOOL, region="r2",
                            country="CN")
        session.add_all([here, there])
        session.flush()
        campus = Campus(institution_id=here.id, name="东校区", district="闵行", region="r1")
        session.add(campus)
        session.flush()
        for name, school, due, status in (
                ("late", here, now - timedelta(days=1, hours=1), CaseStatus.OPEN),
                ("soon", here, now + timedelta(days=7), CaseStatus.OPEN),
                ("closed", here, now - timedelta(days=3), CaseStatus.CLOSED),
                ("elsewhere", there, now - timedelta(days=2), CaseStatus.OPEN)):
            case = Case(institution_id=school.id, subject_key=uuid.uuid4().hex,
                        campus_id=campus.id if school is here else None,
                        attention_tier=AttentionTier.CRISIS, reported_level=ReportLevel.CLASS,
                        current_level=ReportLevel.SCHOOL_CENTRE, reporter_role="x",
                        leader=SUMMARY, created_by="test", status=status, next_review_at=due)
            session.add(case)
            session.flush()
            keys[name] = (case.id.hex[:8], case.subject_key)
    return keys


def test_the_overdue_reviews_tile_opens_the_region_s_overdue_cases(client, scene, cases):
    tile = _tile(client.get("/admin/board").get_data(as_text=True), "overdue-reviews")
    assert '<span class="n">1</span>' in tile and 'href="/admin/reviews/overdue"' in tile
    page = client.get("/admin/reviews/overdue").get_data(as_text=True)
    rows = page.split('id="overdue-reviews"')[1].split("</table>")[0]
    assert cases["late"][0] in rows and "二中" in rows and "东校区" in rows and "危机" in rows
    assert "1 天" in rows
    for name in ("soon", "closed", "elsewhere"):
        assert cases[name][0] not in rows
    for _reference, subject_key in cases.values():
        assert subject_key not in page
    assert SUMMARY not in page
