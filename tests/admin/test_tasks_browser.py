"""Every routine task in Chromium against gunicorn (zh-CN, then en; screenshots in
test-artifacts/): a recipient's SLA and push endpoint, a system's scopes and new secret with
the emergency rule in plain words, coordinators for admins; at 375 px no action is off-screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from gateway.db import transaction
from gateway.models import AuthMethod, InstitutionKind
from gateway.services.network import clients, institutions
from tests.admin_support import make_account
from tests.browser_support import ACTIONS_OFF_SCREEN, OVERFLOW, UNLABELLED_FIELDS, shot, sign_in
from tests.support import TESTER, new_key, public_jwks

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _english(page: Page) -> None:
    page.click("header button[name=language]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def _phone(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(ACTIONS_OFF_SCREEN) == []
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, name)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_sla_on_call_and_endpoint_with_its_secret_once(app, server, page):
    account = make_account(app, region="r1")
    with transaction(app) as session:
        institutions.register(session, TESTER, name="闵行区精神卫生中心",
                              kind=InstitutionKind.HOSPITAL, region="r1", country="CN")
    sign_in(page, server, account)
    page.goto(server + "/admin/institutions")
    _phone(page, "40-institutions-375px")
    page.click("td.actions a:text-is('服务时限与投递')")
    page.wait_for_url("**/delivery")
    assert page.evaluate(UNLABELLED_FIELDS) == []
    page.fill("#sla-decision_minutes", "5")
    page.click("#sla-form button[type=submit]")
    assert "决定时限不能早于接收时限" in page.inner_text("#sla-form")
    shot(page, "41-sla-refused-zh")
    page.fill("#sla-receipt_minutes", "10")
    page.fill("#sla-decision_minutes", "90")
    page.fill("#sla-on_call_contact", "王医生 021-5555")
    page.click("#sla-form button[type=submit]")
    page.wait_for_url("**/delivery")
    assert "已保存 闵行区精神卫生中心 的服务时限" in page.inner_text("#flash")
    assert page.input_value("#sla-on_call_contact") == "王医生 021-5555"
    page.select_option("#endpoint-format", "webhook")
    page.fill("#endpoint-url", "http://10.1.2.3/in")
    page.click("#endpoint-form button[type=submit]")
    assert "网关不能向这个地址发送" in page.inner_text("#endpoint-form")
    page.fill("#endpoint-url", "https://his.example.invalid/gateway")
    page.click("#endpoint-form button[type=submit]")
    page.wait_for_url("**/endpoint/new")
    secret = page.inner_text("#endpoint-secret")
    assert len(secret) > 20
    shot(page, "42-endpoint-secret-once-zh")
    page.reload()
    assert page.locator("#endpoint-secret").count() == 0 and page.is_visible("#secret-gone")
    _english(page)
    page.click("a:text-is('Back to the settings')")
    page.wait_for_url("**/delivery")
    assert "webhook" in page.inner_text("#endpoint-now") and secret not in page.content()
    assert page.inner_text("label[for=sla-receipt_minutes]") == "Minutes until receipt"
    shot(page, "43-recipient-en")
    _phone(page, "44-recipient-en-375px")
    page.click("nav >> a[href$='/admin/delivery']")
    page.click("#region-endpoint")
    assert "上海市闵行区" in page.content() and page.evaluate(UNLABELLED_FIELDS) == []
    page.fill("#endpoint-url", "https://coordinators.example.invalid/alerts")
    page.click("#endpoint-form button[type=submit]")
    page.wait_for_url("**/delivery/new")
    assert len(page.inner_text("#endpoint-secret")) > 20
    shot(page, "44b-region-endpoint-secret-once-en")


def test_scopes_emergency_rule_and_new_secret(app, server, page):
    account = make_account(app, region="r1")
    with transaction(app) as session:
        hospital = institutions.register(session, TESTER, name="闵行区中心医院",
                                         kind=InstitutionKind.HOSPITAL, region="r1",
                                         country="CN")
        clients.register(session, TESTER, name="医院 HIS", institution_id=hospital.id,
                         auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=["referrals:read"],
                         jwks=public_jwks(new_key()))
        clients.register(session, TESTER, name="测试系统", institution_id=hospital.id,
                         auth_method=AuthMethod.CLIENT_SECRET_BASIC, scopes=["referrals:read"])
    sign_in(page, server, account)
    page.goto(server + "/admin/clients")
    _phone(page, "45-clients-375px")
    page.click("tr:has-text('医院 HIS') td.actions a:text-is('可以做的事')")
    page.wait_for_url("**/scopes")
    assert page.evaluate(UNLABELLED_FIELDS) == []
    assert page.is_checked("input[value='referrals:read']")
    page.check("input[value='referrals:emergency']")
    page.click("#scopes-form button[type=submit]")
    error = page.inner_text("#error")
    assert "学校或社区中心" in error and "referrals:emergency" not in error
    shot(page, "46-emergency-refused-zh")
    page.uncheck("input[value='referrals:emergency']")
    page.check("input[value='reports:read']")
    page.click("#scopes-form button[type=submit]")
    page.wait_for_url("**/admin/clients")
    assert "医院 HIS" in page.inner_text("#flash")
    assert "reports:read" in page.inner_text("tr:has-text('医院 HIS')")

    page.click("tr:has-text('测试系统') td.actions a:text-is('新密钥')")
    page.wait_for_url("**/secret")
    assert page.inner_text("h1") == "确定为这个系统生成新密钥吗？"  # noqa: RUF001
    page.click("#confirm button[type=submit]")
    page.wait_for_url("**/secret/new")
    assert len(page.inner_text("#client-secret")) > 20
    shot(page, "47-new-secret-once-zh")
    page.reload()
    assert page.locator("#client-secret").count() == 0 and page.is_visible("#secret-gone")

    _english(page)
    page.goto(server + "/admin/clients")
    page.click("tr:has-text('医院 HIS') td.actions a:text-is('What it may do')")
    page.check("input[value='referrals:emergency']")
    page.click("#scopes-form button[type=submit]")
    assert "school or community centre" in page.inner_text("#error")
    shot(page, "48-emergency-refused-en")


def test_an_admin_manages_coordinators(app, server, page):
    admin = make_account(app, region=None, role="admin")
    sign_in(page, server, admin)
    page.click("nav >> a[href$='/admin/coordinators']")
    page.wait_for_url("**/admin/coordinators")
    page.click("a:text-is('添加协调员')")
    assert page.evaluate(UNLABELLED_FIELDS) == []
    page.fill("#email", "wang.laoshi@example.org")
    page.click("#coordinator-form button[type=submit]")
    assert "协调员需要一个区域" in page.inner_text("#error")
    shot(page, "49-coordinator-refused-zh")
    page.fill("#region", "r1")
    page.click("#coordinator-form button[type=submit]")
    page.wait_for_url("**/credentials")
    assert page.inner_text("#first-password") and page.inner_text("#totp-secret")
    assert page.inner_text("#totp-uri").startswith("otpauth://totp/")
    shot(page, "50-coordinator-credentials-once-zh")
    page.reload()
    assert page.is_visible("#secret-gone") and page.locator("#first-password").count() == 0
    page.goto(server + "/admin/coordinators")
    row = "tr:has-text('wang.laoshi@example.org')"
    assert "上海市闵行区" in page.inner_text(row)  # the region by its name
    page.click(f"{row} td.actions a:text-is('更改角色')")
    page.check("input[value='admin']")
    page.click("#coordinator-form button[type=submit]")
    page.wait_for_url("**/admin/coordinators")
    assert "所有区域的管理员" in page.inner_text(row)
    page.click(f"{row} td.actions a:text-is('重置验证器')")
    page.click("#confirm button[type=submit]")
    page.wait_for_url("**/credentials")
    assert page.inner_text("#totp-secret") and page.locator("#first-password").count() == 0
    page.goto(server + "/admin/coordinators")
    _english(page)
    page.click(f"{row} td.actions a:text-is('Deactivate')")
    assert page.inner_text("h1") == "Deactivate this coordinator?"
    shot(page, "51-confirm-deactivate-coordinator-en")
    page.click("#confirm button[type=submit]")
    page.wait_for_url("**/admin/coordinators")
    assert "wang.laoshi@example.org deactivated." in page.inner_text("#flash")
    assert "deactivated" in page.inner_text(row)
    _phone(page, "52-coordinators-en-375px")
