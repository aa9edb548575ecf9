"""Times in the admin UI are the region's local times, labelled; date filters are local days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry
from gateway.services.audit import journal
from tests.admin_support import make_account, sign_in
from tests.support import TESTER


@pytest.fixture
def signed_in(app, client):
    # an admin sees every entry; with no region of their own, times are in the default zone
    assert sign_in(client, make_account(app, region=None, role="admin")).status_code == 302
    return client


def _entry_at(app, moment: datetime, action: str) -> None:
    with transaction(app) as session:
        journal.record(session, TESTER, action, "institution", None)
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        entry.recorded_at = moment  # the chain is not verified here


def test_audit_times_are_shanghai_times_labelled_with_the_offset(app, signed_in):
    _entry_at(app, datetime(2026, 11, 9, 17, 30, tzinfo=UTC), "probe.late_evening")
    page = signed_in.get("/admin/audit?action=probe.").get_data(as_text=True)
    assert "时间（UTC+08:00）" in page  # noqa: RUF001
    assert "2026-11-10 01:30:00" in page and "2026-11-09 17:30" not in page


def test_audit_date_filters_are_local_days(app, signed_in):
    shanghai_day = datetime(2026, 11, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    _entry_at(app, shanghai_day + timedelta(minutes=30), "probe.inside")  # 16:30 UTC the 9th
    _entry_at(app, shanghai_day - timedelta(minutes=30), "probe.before")
    page = signed_in.get("/admin/audit?action=probe.&since=2026-11-10&until=2026-11-10")
    html = page.get_data(as_text=True)
    assert "probe.inside" in html and "probe.before" not in html


def test_a_reversed_audit_date_range_is_an_error(signed_in):
    page = signed_in.get("/admin/audit?since=2026-11-10&until=2026-11-01")
    assert page.status_code == 422
    assert "结束日期早于开始日期。" in page.get_data(as_text=True)
