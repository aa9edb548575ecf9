"""The coordinator's desk in Chromium against gunicorn: reports, safe actions (zh-CN, en)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page

from gateway.db import transaction
from gateway.models import InstitutionKind
from gateway.services.network import institutions
from tests.admin_support import make_account
from tests.browser_support import AFTER_RESIZE, OVERFLOW, UNLABELLED_FIELDS, shot, sign_in
from tests.coordination.reports_support import SUMMARY, seed_month
from tests.support import TESTER

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _cell(page: Page, table: str, row: str, column: str) -> str:
    return page.inner_text(f"#report-{table} tr:has(td:text-is('{row}')) "
                           f"td[data-column='{column}']")


def _download(page: Page, link: str) -> bytes:
    with page.expect_download() as info:
        page.click(link)
    return info.value.path().read_bytes()


def test_monthly_report_in_chromium(app, server, page):
    seeded = seed_month(app)
    account = make_account(app, region="r1")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    sign_in(page, server, account)
    page.click("nav >> a[href$='/admin/reports']")
    page.select_option("#period", "month")
    page.fill("#first", "2026-11-01")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/admin/reports?*")
    assert page.evaluate(UNLABELLED_FIELDS) == []
    assert "上海市闵行区" in page.inner_text("#report-scope")
    assert "2026-11-01 – 2026-11-30" in page.inner_text("#report-scope")  # noqa: RUF001
    assert _cell(page, "summary", "发出的转介", "value") == "19"
    assert _cell(page, "by_status", "已接受", "sent") == "<5"  # a cell of 3
    assert _cell(page, "sla", seeded.hospital, "receipt_on_time_percent") == "83.3"
    assert _cell(page, "open_cases", "重点关注", "overdue_reviews") == "<5"  # 3 overdue
    assert _cell(page, "cases_by_campus", "郊区校区", "daily") == "6"
    for chart, table in (("weekly", "weekly"), ("sla", "sla"),
                         ("decision_histogram", "decision_histogram")):
        assert page.get_attribute(f"#chart-{chart}", "data-drawn") == "true"  # by ECharts
        assert page.locator(f"#chart-{chart} svg").bounding_box()["height"] > 100
        assert page.locator(f"#report-{table} tbody tr").count() >= 1  # the table beside it
    assert errors == []  # no script error, nothing refused by the page's CSP
    html = page.content()
    for secret in [*seeded.pseudonyms, SUMMARY]:
        assert secret not in html
    shot(page, "20-report-month-zh")

    rows = list(csv.reader(io.StringIO(_download(page, "#export-csv").decode("utf-8-sig"))))
    assert ["发出的转介", "19"] in rows and ["已接受", "<5", "<5"] in rows
    assert ["重点关注", "5", "<5"] in rows
    book = load_workbook(io.BytesIO(_download(page, "#export-xlsx")))
    by_status = [list(r[:3]) for r in book["by_status"].iter_rows(values_only=True)]
    assert ["已接受", "<5", "<5"] in by_status and ["已完成", 7, 7] in by_status
    tiers = [list(r[:3]) for r in book["open_cases"].iter_rows(values_only=True)]
    assert ["重点关注", 5, "<5"] in tiers

    page.emulate_media(media="print")
    assert not page.is_visible("header.top") and not page.is_visible("#report-form")
    shot(page, "21-report-month-print")
    page.emulate_media(media="screen")

    page.click("header button[name=language]")
    page.wait_for_url("**/admin/reports?*")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _cell(page, "summary", "Referrals sent", "value") == "19"
    assert _cell(page, "by_status", "accepted", "sent") == "<5"
    shot(page, "22-report-month-en")
    rows = list(csv.reader(io.StringIO(_download(page, "#export-csv").decode("utf-8-sig"))))
    assert ["Region", "上海市闵行区"] in rows and ["Referrals sent", "19"] in rows

    page.set_viewport_size({"width": 375, "height": 800})
    page.evaluate(AFTER_RESIZE)  # the charts redraw on the resize event
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "23-report-month-375px")


def test_a_reversed_custom_range_is_explained(app, server, page):
    account = make_account(app, region="r1")
    sign_in(page, server, account)
    page.goto(server + "/admin/reports")
    page.select_option("#period", "custom")
    page.fill("#first", "2026-11-05")
    page.fill("#last", "2026-11-01")
    page.click("#report-form button[type=submit]")
    assert "最后一天不能早于第一天" in page.inner_text("#last-error")
    assert page.locator("#export-csv").count() == 0
    shot(page, "24-report-reversed-range")


def test_deactivation_asks_first_and_says_what_happened(app, server, page):
    account = make_account(app, region="r1")
    with transaction(app) as session:
        institutions.register(session, TESTER, name="闵行区第一中学",
                              kind=InstitutionKind.MIDDLE_SCHOOL, region="r1", country="CN")
    sign_in(page, server, account)
    page.goto(server + "/admin/institutions")
    assert "上海市闵行区" in page.inner_text("table")  # the region by its name
    page.click("td.actions a.danger")
    page.wait_for_url("**/deactivate")
    assert page.inner_text("h1") == "确定停用这个机构吗？"  # noqa: RUF001
    shot(page, "25-confirm-deactivate-zh")
    page.click("#confirm a")  # cancel: nothing happens
    page.wait_for_url("**/admin/institutions")
    assert page.locator("span.tag.ok").count() == 1
    page.click("td.actions a.danger")
    page.click("#confirm button[type=submit]")
    page.wait_for_url("**/admin/institutions")
    assert "已停用 闵行区第一中学" in page.inner_text("#flash")
    page.click("header button[name=language]")
    page.wait_for_url("**/admin/institutions")
    page.click("td.actions button:text-is('Reactivate')")
    page.wait_for_url("**/admin/institutions")
    assert "闵行区第一中学 reactivated." in page.inner_text("#flash")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "26-reactivated-en-375px")


def test_the_board_s_overdue_review_tile_opens_its_list(app, server, page):
    seeded = seed_month(app)
    account = make_account(app, region="r1")
    sign_in(page, server, account)
    page.goto(server + "/admin/board")
    tile = page.locator("[data-tile='overdue-reviews']")
    assert tile.locator(".n").inner_text() == "5"  # the university's 3 key and 2 crisis
    page.locator("[data-tile='overdue-reviews'] a").click()
    page.wait_for_url("**/admin/reviews/overdue")
    rows = page.locator("#overdue-reviews tbody tr")
    assert rows.count() == 5
    text = page.inner_text("#overdue-reviews")
    assert "主校区" in text and "郊区校区" in text and seeded.university in text
    html = page.content()
    for secret in [*seeded.subject_keys, SUMMARY]:
        assert secret not in html
    shot(page, "27-overdue-reviews-zh")
    page.click("header button[name=language]")
    page.wait_for_url("**/admin/reviews/overdue")
    assert "1 day" in page.inner_text("#overdue-reviews")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(OVERFLOW) <= 0
    shot(page, "28-overdue-reviews-en-375px")
