"""The board: every overdue referral, tiles that open a filtered list, refreshing each minute."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from gateway.db import transaction
from gateway.models import (
    Institution,
    InstitutionKind,
    Priority,
    Referral,
    ReferralReason,
    ReferralStatus,
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
