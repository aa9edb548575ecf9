"""Safe actions: asked before deactivate / revoke / end, reactivation audited, success messages,
duplicate names refused."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import AuditEntry, Client, Institution, Partnership
from tests.admin_support import post_form
from tests.support import bearer


def _actions(app, object_id) -> list[str]:
    with transaction(app) as session:
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_id == str(object_id)).order_by(AuditEntry.seq)))


def test_deactivation_is_asked_first_then_reactivation_is_audited(app, signed_in,
                                                                  make_partner):
    partner = make_partner("university")
    url = f"/admin/institutions/{partner.institution_id}/deactivate"
    asked = signed_in.get(url)
    assert asked.status_code == 200 and "确定停用这个机构吗" in asked.get_data(as_text=True)
    with transaction(app) as session:
        assert session.get(Institution, partner.institution_id).active  # nothing changed yet
    done = post_form(signed_in, url, url, {})
    assert done.status_code == 302
    listing = signed_in.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="flash"' in listing and "已停用" in listing
    again = post_form(signed_in, "/admin/institutions",
                      f"/admin/institutions/{partner.institution_id}/reactivate", {})
    assert again.status_code == 302
    with transaction(app) as session:
        assert session.get(Institution, partner.institution_id).active
    assert _actions(app, partner.institution_id)[-2:] == ["institution.deactivated",
                                                         "institution.reactivated"]


def test_a_duplicate_institution_name_is_refused_in_plain_words(signed_in):
    form = {"name": "示范大学", "kind": "university", "region": "r1", "country": "CN"}
    assert post_form(signed_in, "/admin/institutions/new", "/admin/institutions/new",
                     form).status_code == 302
    again = post_form(signed_in, "/admin/institutions/new", "/admin/institutions/new",
                      {**form, "name": " 示范大学 "})
    assert again.status_code == 422
    assert "本区域已登记过同名机构。" in again.get_data(as_text=True)


def test_a_revoked_client_reactivated_gets_new_tokens_but_old_ones_stay_dead(
        app, client, signed_in, make_partner, token_for):
    partner = make_partner("university")
    old = token_for(partner)
    url = f"/admin/clients/{partner.client_id}/revoke"
    assert "确定停用这个接入系统吗" in signed_in.get(url).get_data(as_text=True)
    assert post_form(signed_in, url, url, {}).status_code == 302
    assert client.get("/api/v1/referrals", headers=bearer(old)).status_code == 401
    assert post_form(signed_in, "/admin/clients",
                     f"/admin/clients/{partner.client_id}/reactivate", {}).status_code == 302
    with transaction(app) as session:
        assert session.get(Client, partner.client_id).active
    assert client.get("/api/v1/referrals", headers=bearer(old)).status_code == 401
    time.sleep(1.1)  # a token issued in the second of the revocation would count as before it
    fresh = token_for(partner)
    assert client.get("/api/v1/referrals", headers=bearer(fresh)).status_code == 200
    assert "client.reactivated" in _actions(app, partner.client_id)


def test_ending_a_partnership_is_asked_first(app, signed_in, make_partner, link):
    a, b = make_partner("university"), make_partner("hospital")
    partnership_id = link(a, b, "referral")
    url = f"/admin/partnerships/{partnership_id}/end"
    asked = signed_in.get(url).get_data(as_text=True)
    assert "确定终止这份合作协议吗" in asked and 'id="confirm"' in asked
    with transaction(app) as session:
        assert session.get(Partnership, partnership_id).status.value == "active"
    done = post_form(signed_in, url, url, {})
    assert "已终止合作协议" in signed_in.get(done.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"second": "first"}, "second", "请选择两家不同的机构。"),
    ({"valid_from": -1}, "valid_from", "合作协议的开始日期不能早于今天。"),
    ({"valid_until": 0}, "valid_until", "结束日期必须晚于开始日期。"),
    ({"valid_until": 3 * 366 + 1}, "valid_until", "合作协议最长 1098 天。"),
])
def test_partnership_proposals_are_checked_in_plain_words(signed_in, make_partner, change,
                                                           field, message):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    a, b = make_partner("university"), make_partner("hospital")
    form = {"first": str(a.institution_id), "second": str(b.institution_id),
            "exchanges": ["referral"], "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat()}
    for key, value in change.items():
        form[key] = (form["first"] if value == "first" else
                     (today + timedelta(days=value)).isoformat())
    page = post_form(signed_in, "/admin/partnerships", "/admin/partnerships", form)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert f'id="{field}-error">{message}' in html
    assert "valid_until" not in html.split('id="valid_until-error"')[-1].split("</p>")[0]


def test_the_form_does_not_offer_the_same_institution_twice(signed_in, make_partner):
    make_partner("university"), make_partner("hospital")
    html = signed_in.get("/admin/partnerships").get_data(as_text=True)
    first = html.split('id="first"')[1].split("</select>")[0]
    second = html.split('id="second"')[1].split("</select>")[0]
    picked = [re.search(r'<option selected value="([^"]+)"', s).group(1) for s in (first, second)]
    assert picked[0] != picked[1]


def test_a_refusal_by_a_service_rule_is_told_in_the_coordinators_language(signed_in,
                                                                          make_partner):
    partner = make_partner()
    page = post_form(signed_in, "/admin/clients",
                     f"/admin/clients/{partner.client_id}/reactivate", {})
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "该系统接入已处于启用状态。" in html
    assert "The client is active." not in html
