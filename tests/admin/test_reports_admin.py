"""The reports page and its files (in process): same numbers, suppression, nothing personal."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.admin_support import make_account, post_form, sign_in
from tests.coordination.reports_support import MONTH_FIRST, SUMMARY, seed_month

NOVEMBER = f"/admin/reports?period=month&first={MONTH_FIRST}"


@pytest.fixture
def signed_in(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REGION_NAMES", {"r1": "上海市闵行区"})
    seeded = seed_month(app)
    account = make_account(app, region="r1")
    assert sign_in(client, account).status_code == 302
    return seeded


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _sheet(book, name: str) -> list[list]:
    """A worksheet's rows without the empty cells that pad them to the widest row."""
    rows = []
    for row in book[name].iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    return rows


def _section(rows: list[list], title: list[str] | str) -> list[list]:
    start = rows.index(title if isinstance(title, list) else [title]) + 1
    end = next((n for n in range(start, len(rows)) if not rows[n]), len(rows))
    return rows[start:end]


def test_page_csv_and_xlsx_hold_the_same_numbers(client, signed_in):
    page = client.get(NOVEMBER)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "2026-11-01 – 2026-11-30" in html  # noqa: RUF001
    assert "<td data-column=\"value\">19</td>" in html
    assert "&lt;5" in html

    exported = client.get(NOVEMBER.replace("/reports?", "/reports/export.csv?"))
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = _csv_rows(exported.get_data(as_text=True))
    assert rows[0] == ["区域", "上海市闵行区"] and rows[1][1] == "2026-11-01 – 2026-11-30"  # noqa: RUF001
    status = {r[0]: r[1:] for r in _section(rows, "按状态统计的转介")}
    assert status["已完成"] == ["7", "7"] and status["已接受"] == ["<5", "<5"]

    book = load_workbook(io.BytesIO(client.get(
        NOVEMBER.replace("/reports?", "/reports/export.xlsx?")).data))
    sheet = _sheet(book, "by_status")
    assert sheet[0] == ["区域", "上海市闵行区"] and sheet[1][1] == "2026-11-01 – 2026-11-30"  # noqa: RUF001
    xlsx_status = {r[0]: r[1:] for r in _section(sheet, ["按状态统计的转介"])[1:]}
    assert xlsx_status["已完成"] == [7, 7] and xlsx_status["已接受"] == ["<5", "<5"]
    summary = {r[0]: r[1] for r in _section(_sheet(book, "summary"), ["概况"])[1:]}
    assert summary["发出的转介"] == 19 and summary["绿色通道转介"] == 6


def test_no_report_or_export_holds_a_pseudonym_or_personal_field(client, signed_in):
    bodies = [client.get(NOVEMBER).get_data(as_text=True),
              client.get(NOVEMBER.replace("/reports?", "/reports/export.csv?")).get_data(
                  as_text=True)]
    book = load_workbook(io.BytesIO(client.get(
        NOVEMBER.replace("/reports?", "/reports/export.xlsx?")).data))
    bodies.append(repr([list(s.iter_rows(values_only=True)) for s in book.worksheets]))
    for body in bodies:
        for secret in [*signed_in.pseudonyms, *signed_in.subject_keys, SUMMARY, "李同学"]:
            assert secret not in body


def test_a_reversed_custom_period_is_a_plain_error(client, signed_in):
    page = client.get("/admin/reports?period=custom&first=2026-11-05&last=2026-11-01")
    assert page.status_code == 422
    assert "最后一天" in page.get_data(as_text=True)
    refused = client.get("/admin/reports/export.csv?period=custom&first=2026-11-05")
    assert refused.status_code == 422


def test_staff_counts_recorded_on_the_institution_form_give_the_ratio(app, client):
    account = make_account(app, region="r1")
    assert sign_in(client, account).status_code == 302
    created = post_form(client, "/admin/institutions/new", "/admin/institutions/new", {
        "name": "郊区校区", "kind": "university", "region": "r1", "country": "CN",
        "student_count": "9000", "counsellor_count": "3"})
    assert created.status_code == 302
    refused = post_form(client, "/admin/institutions/new", "/admin/institutions/new", {
        "name": "Bad", "kind": "university", "region": "r1", "country": "CN",
        "student_count": "-1"})
    assert refused.status_code == 422
    page = client.get("/admin/reports?period=week")
    row = page.get_data(as_text=True).split('id="report-staff"')[1]
    assert "郊区校区" in row and ">3000<" in row and ">是<" in row
