"""The admin UI in Debian's Chromium (Playwright) against a real gunicorn server.

Screenshots go to ``test-artifacts/`` (gitignored). Chromium comes from apt
(``.ci/ensure-chromium``); Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from gateway.cli import seal_until_done
from gateway.db import transaction
from gateway.models import BreakGlassRelease, Institution, InstitutionKind, utcnow
from gateway.services.network import institutions
from tests.admin_support import make_account
from tests.factories.privacy import NOTE, consent_body, personal
from tests.ops.test_e2e_live import NO_CONTROL_SOCKET
from tests.privacy_support import personal_keys
from tests.support import TESTER, Partner, bearer, new_key, public_jwks

pytestmark = [pytest.mark.browser, pytest.mark.live]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGES = ("board", "breakglass", "institutions", "institutions/new", "partnerships", "clients",
         "clients/new", "audit", "audit/proof", "audit/consistency", "delivery")
UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(database_url: str, key_dir: Path) -> Iterator[str]:
    """gunicorn serving the gateway on the session's database and keys."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": url}
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind",
         f"127.0.0.1:{port}", *NO_CONTROL_SOCKET, "gateway:create_app()"], env=env,
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gunicorn did not start; see test-artifacts/gunicorn.log")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium missing: run 'bash .ci/ensure-chromium' (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: str, account) -> None:
    page.goto(server + "/admin/sign-in")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.fill("#code", account.code())
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/board")


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


def test_coordinator_journey_in_chromium(app, server, page):
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
    page.fill("#valid_from", (datetime.now(UTC) - timedelta(days=1)).date().isoformat())
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/partnerships")
    page.click("td.actions button.primary")  # approve
    page.wait_for_url("**/admin/partnerships")
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
    assert page.locator("#decision-chart rect.bar").count() == 6  # drawn by board.js
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
        shot(page, f"08-delivery-{width}px")
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
    assert "Asia/Shanghai" in page.inner_text("#audit-proof")
    shot(page, "10-audit-proof")
