"""The audit viewer: institution names and coordinator e-mails, labels, paging, CSV export."""

from __future__ import annotations

import csv
import io

from gateway.db import transaction
from gateway.models import InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.network import institutions
from tests.support import TESTER


def _register(app, name: str, region: str = "r1"):
    with transaction(app) as session:
        return institutions.register(session, TESTER, name=name, region=region, country="CN",
                                     kind=InstitutionKind.UNIVERSITY).id


def test_filter_by_institution_name_and_coordinator_email(app, signed_in, account):
    mine = _register(app, "示范大学")
    _register(app, "示范中学")
    page = signed_in.get("/admin/audit?institution=示范大学").get_data(as_text=True)
    assert str(mine) in page and "登记机构" in page  # the action's label, code beside it
    assert "<code>institution.registered</code>" in page
    vague = signed_in.get("/admin/audit?institution=示范")
    assert vague.status_code == 422
    assert "有多家机构符合" in vague.get_data(as_text=True)
    unknown = signed_in.get("/admin/audit?institution=Nowhere")
    assert "本区域没有这个名称的机构。" in unknown.get_data(as_text=True)
    by_email = signed_in.get(f"/admin/audit?actor={account.email.upper()}").get_data(
        as_text=True)
    assert account.label in by_email and "登录" in by_email
    assert signed_in.get("/admin/audit?actor=nobody@example.org").status_code == 422


def test_paging_past_200_with_a_notice_and_csv_export(app, signed_in, account):
    with transaction(app) as session:
        for n in range(205):
            journal.record(session, Actor.coordinator(account), "probe.entry", "institution", None,
                           detail={"n": n})
    first = signed_in.get("/admin/audit?action=probe.").get_data(as_text=True)
    assert first.count("<code>probe.entry</code>") == 200
    assert 'id="older"' in first and "第 1 至 200 条" in first
    older = signed_in.get("/admin/audit?action=probe.&page=2").get_data(as_text=True)
    assert older.count("<code>probe.entry</code>") == 5 and 'id="older"' not in older
    exported = signed_in.get("/admin/audit/export.csv?action=probe.")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 205 and rows[0]["action"] == "probe.entry"
    assert rows[0]["recorded_at"].endswith("+00:00")  # exports stay in UTC, with the offset
