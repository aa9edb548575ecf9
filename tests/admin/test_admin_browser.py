"""The admin UI in Debian's Chromium (Playwright) against a real gunicorn server."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Page
from sqlalchemy import select

from gateway.cli import seal_until_done
from gateway.db import transaction
from gateway.delivery.mail import Mailer
from gateway.delivery.worker import Worker
from gateway.models import (
    Alert,
    BreakGlassRelease,
    Institution,
    InstitutionKind,
    MailState,
    Referral,
    utcnow,
)
from gateway.services.alerts import contacts
from gateway.services.network import institutions
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import sla_sweep
from tests.admin_support import make_account
from tests.browser_support import (
    ACTIONS_OFF_SCREEN,
    OVERFLOW,
    UNLABELLED_FIELDS,
    shot,
    sign_in,
)
from tests.factories.privacy import NOTE, consent_body, personal
from tests.factories.referrals import referral_body
from tests.mail_support import free_port
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.privacy_support import personal_keys
from tests.support import TESTER, Partner, bearer, new_key, public_jwks

pytestmark = [pytest.mark.browser, pytest.mark.live]

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGES = ("board", "breakglass", "institutions", "institutions/new", "partnerships", "clients",
         "clients/new", "audit", "audit/proof", "audit/consistency", "delivery", "reports",
         "alerts", "alerts/contacts")


def create_institution(page: Page, server: str, name: str, kind: str) -> None:
    page.goto(server + "/admin/institutions/new")
    page.fill("#name", name)
    page.select_option("#kind", kind)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/institutions")


def register_client(page: Page, server: str, institution: str, key, scopes: list[str]) -> str:
    page.goto(server + "/admin/clients/new")
    page.select_option("#institution", label=institution)
    page.fill("#name", f"{institution} HIS")
    for scope in scopes:
        page.check(f'input[name=scopes][value="{scope}"]')
    page.fill("#jwks", json.dumps(public_jwks(key)))
    page.click("button[type=submit]")
    return page.inner_text("#client-id")


def _institution_id(app, name: str):
    with transaction(app) as session:
        return session.scalars(select(Institution.id).where(Institution.name == name)).one()


def _token(server: str, partner: Partner) -> str:
    response = requests.post(server + "/oauth/token", data=partner.token_form(), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_coordinator_journey_in_chromium(app, server, browser, page):
    account = make_account(app, region="r1")
    with transaction(app) as session:
        theirs = institutions.register(session, TESTER, name="Region B school",
                                       kind=InstitutionKind.MIDDLE_SCHOOL, region="r2",
                                       country="CN").id

    sign_in(page, server, account)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    shot(page, "01-board-empty")

    create_institution(page, server, "示范大学", "university")
    create_institution(page, server, "闵行区精神卫生中心", "hospital")
    assert page.locator("table >> text=示范大学").count() == 1
    shot(page, "02-institutions")

    page.goto(server + "/admin/partnerships")
    page.select_option("#first", label="示范大学")
    page.select_option("#second", label="闵行区精神卫生中心")
    page.check('input[name=exchanges][value="referral"]')
    page.fill("#valid_from", datetime.now(SHANGHAI).date().isoformat())
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/partnerships")
    assert page.locator("td.actions .waiting").count() == 1  # four eyes: not by its proposer
    assert page.locator("td.actions button.primary").count() == 0
    colleague = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(colleague, server, make_account(app, region="r1"))
    colleague.goto(server + "/admin/partnerships")
    colleague.click("td.actions button.primary")  # approve
    colleague.wait_for_url("**/admin/partnerships")
    assert "已批准合作协议" in colleague.inner_text("#flash")
    colleague.context.close()
    page.reload()
    assert page.locator("span.tag.active").count() == 1
    shot(page, "03-partnerships")

    uni_key, hosp_key = new_key("uni-1"), new_key("hosp-1")
    uni_client = register_client(page, server, "示范大学", uni_key,
                                 ["referrals:read", "referrals:write", "consents:write"])
    shot(page, "04-client-registered")
    hosp_client = register_client(page, server, "闵行区精神卫生中心", hosp_key,
                                  ["referrals:read", "referrals:write"])
    assert hosp_client != uni_client

    university = Partner(uni_client, _institution_id(app, "示范大学"), uni_key, server)
    hospital_id = _institution_id(app, "闵行区精神卫生中心")
    token = _token(server, university)
    consent = requests.post(server + "/api/v1/consents", headers=bearer(token), timeout=10,
                            json=consent_body(hospital_id, "stu-007"))
    assert consent.status_code == 201, consent.text
    referral = requests.post(server + "/api/v1/referrals", headers=bearer(token), timeout=10, json={
        "recipient_institution_id": str(hospital_id), "subject_ref": "stu-007",
        "priority": "green_channel", "reason": "suicide_risk", "summary": "Private words"})
    assert referral.status_code == 201, referral.text

    page.goto(server + "/admin/board")
    queue = page.locator("#green-channel tbody tr")
    assert queue.count() == 1
    assert referral.json()["subject_pseudonym"][:16] in queue.inner_text()
    assert page.inner_text('[data-status="submitted"] .n') == "1"
    assert "stu-007" not in page.content() and "Private words" not in page.content()
    assert page.get_attribute("#decision-chart", "data-drawn") == "true"  # by ECharts
    assert page.locator("#decision-chart svg").bounding_box()["height"] > 100
    assert page.locator("#decision-table tbody tr").count() == 6
    shot(page, "05-board-with-referral")

    forged = page.request.post(server + "/admin/institutions/new", max_redirects=0, form={
        "name": "Forged", "kind": "university", "region": "r1", "country": "CN"})
    assert forged.status == 400  # signed in, but the form carries no CSRF token

    refused = page.goto(f"{server}/admin/institutions/{theirs}/edit")
    assert refused is not None and refused.status == 404
    shot(page, "06-region-b-refused")

    page.click("header button[name=language]")  # to English, remembered in a cookie
    page.goto(server + "/admin/board")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("text=Referral board").count() >= 1

    page.click("#sign-out")
    page.wait_for_url("**/admin/sign-in")
    page.goto(server + "/admin/board")
    assert page.url.endswith("/admin/sign-in")
    shot(page, "07-signed-out")


@pytest.mark.parametrize("width", [1280, 375])
def test_every_field_labelled_and_no_horizontal_overflow(app, server, browser, width):
    account = make_account(app, region="r1")
    with transaction(app) as session:
        institutions.register(session, TESTER, name="Minhang No.1 Middle School with a long name",
                              kind=InstitutionKind.MIDDLE_SCHOOL, region="r1", country="CN")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(server + "/admin/sign-in")
        assert page.evaluate(UNLABELLED_FIELDS) == []
        sign_in(page, server, account)
        for path in PAGES:
            page.goto(f"{server}/admin/{path}")
            assert page.evaluate(UNLABELLED_FIELDS) == [], path
            assert page.evaluate(OVERFLOW) <= 0, f"{path} overflows at {width}px"
            assert page.evaluate(ACTIONS_OFF_SCREEN) == [], f"{path} at {width}px"
        shot(page, f"08-delivery-{width}px")
        page.goto(server + "/admin/institutions")
        shot(page, f"08-institutions-{width}px")
        page.goto(server + "/admin/clients/new")
        shot(page, f"09-client-form-{width}px")
    finally:
        context.close()


def test_breakglass_review_in_chromium(app, server, page, make_partner, link):
    account = make_account(app, region="r1")
    sender = make_partner("university", scopes=["referrals:read", "referrals:write",
                                                "referrals:emergency"])
    recipient = make_partner("hospital", scopes=["referrals:read"])
    link(sender, recipient, "referral")
    why = "学生在宿舍楼顶边缘，监护人联系不上；已呼叫救护车，请医院立即准备接收。"  # noqa: RUF001
    data = personal()
    created = requests.post(server + "/api/v1/referrals", timeout=10, headers=bearer(
        _token(server, Partner(sender.client_id, sender.institution_id, sender.key, server))),
        json={"recipient_institution_id": str(recipient.institution_id), "subject_ref": "stu-911",
              "priority": "green_channel", "reason": "suicide_risk", "identity": data["identity"],
              "summary": data["summary"], "emergency_justification": why})
    assert created.status_code == 201, created.text
    referral = created.json()
    hospital = bearer(_token(server, Partner(recipient.client_id, recipient.institution_id,
                                             recipient.key, server)))

    with transaction(app) as session:  # past its review deadline: overdue on the board
        release = session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))
        release.review_due_at = utcnow() - timedelta(hours=1)

    sign_in(page, server, account)
    counts = page.inner_text("#breakglass-counts")
    assert "已逾期 1 项" in counts and "共 1 项待复核" in counts
    overdue = page.locator("#breakglass-overdue tbody tr")
    assert overdue.count() == 1 and referral["subject_pseudonym"][:16] in overdue.inner_text()
    assert why not in page.content()  # the board shows no justification
    shot(page, "10-board-breakglass-overdue")
    page.click("nav >> a[href$='/admin/breakglass']")
    release = page.locator(f"#release-{referral['breakglass_id']}")
    assert release.locator(".justification").inner_text() == why
    assert referral["subject_pseudonym"][:16] in release.inner_text()
    assert NOTE not in page.content() and data["identity"]["name"] not in page.content()
    shot(page, "11-breakglass-queue")

    release.locator("a.button").click()
    page.wait_for_url(f"**/admin/breakglass/{referral['breakglass_id']}")
    assert page.evaluate(UNLABELLED_FIELDS) == []
    page.check('input[name=outcome][value="unjustified"]')
    page.fill("#note", "监护人当时可以通过电话联系到，应先取得同意。")  # noqa: RUF001
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "12-breakglass-review-375px")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**/admin/breakglass/{referral['breakglass_id']}")
    assert page.inner_text("#outcome") == "理由不成立"
    assert page.locator("form.card").count() == 0
    shot(page, "13-breakglass-reviewed")

    seen = requests.get(f"{server}/api/v1/referrals/{referral['id']}", headers=hospital,
                        timeout=10).json()
    assert personal_keys(seen) == set()  # found unjustified: the recipient's access ended


def test_alert_no_channel_delivered_is_red_on_the_board(app, client, server, page, make_partner,
                                                        link, token_for, monkeypatch):
    account = make_account(app, region="r1")
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    token = bearer(token_for(school))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id), headers=token)
    created = client.post("/api/v1/referrals", json=referral_body(hospital.institution_id),
                          headers=token).get_json()
    with transaction(app) as session:
        contacts.add(session, TESTER, email="coordinators@r1.example", region="r1")
        submitted = session.get(Referral, uuid.UUID(created["id"])).submitted_at
        assert sla_sweep.sweep(session, submitted + timedelta(minutes=16),
                               policy=Policy.from_config(app.config)).breaches == 1
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")  # no webhook, and SMTP down
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    Worker(app).run_once()
    Mailer(app).run_once()
    with transaction(app) as session:
        assert session.scalars(select(Alert.mail_state)).one() is MailState.FAILED

    sign_in(page, server, account)
    row = page.locator("#undelivered-alerts tbody tr.undelivered")
    assert row.count() == 1
    assert created["subject_pseudonym"][:16] in row.inner_text() and "未送达" in row.inner_text()
    background = row.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert background == "rgb(248, 211, 206)"  # red
    assert "Student expressed a plan" not in page.content()
    shot(page, "14-board-alert-undelivered")
    page.click("#alert-counts a")
    page.wait_for_url("**/admin/alerts")
    page.click("#open-alerts td button.primary")  # acknowledge
    page.wait_for_url("**/admin/alerts")
    assert page.locator("#acknowledged-alerts tbody tr").count() == 1
    page.goto(server + "/admin/board")
    assert page.locator("#undelivered-alerts").count() == 0
    shot(page, "15-board-alert-acknowledged")


def test_a_proof_from_the_audit_viewer_in_chromium(app, server, page, make_partner, link,
                                                   token_for, grant_consent, send_referral):
    """Issue 13: from a leaf in the audit viewer to its inclusion proof, checked against the
    signed checkpoint, with times in the region's zone."""
    school = make_partner("university")
    hospital = make_partner("hospital")
    link(school, hospital, "referral")
    assert grant_consent(token_for(school), hospital.institution_id).status_code == 201
    referral = send_referral(token_for(school), hospital.institution_id).get_json()
    seal_until_done(app)
    sign_in(page, server, make_account(app, region="r1"))
    page.goto(server + f"/admin/audit?object_id={referral['id']}")
    page.locator("#audit-entries tbody tr td a").first.click()
    page.wait_for_url("**/admin/audit/proof?index=*")
    assert page.inner_text("#proof-result") == "证明与检查点的根哈希一致。"
    assert "UTC+08:00" in page.inner_text("#audit-proof")
    shot(page, "10-audit-proof")
