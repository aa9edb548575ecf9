"""A report as CSV or XLSX: the region and period on top, then every table with its labels.

The files hold the report's cells as they are (already suppressed: "<5", never 1 to 4); the
caller supplies the words (:class:`Wording`), so files come out in the reader's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Protocol

from openpyxl import Workbook
from openpyxl.styles import Font

from gateway.services.coordination.reports import Report, Table
from gateway.services.coordination.reports.tables import Cell


class Wording(Protocol):
    """The words of a report in one language."""

    def title(self, table: str) -> str:
        """A table's heading."""

    def column(self, column: str) -> str:
        """A column's heading."""

    def code(self, codes: str, value: str) -> str:
        """The label of a coded cell (a status, a kind ...)."""

    def heading(self, key: str) -> str:
        """The words of the file's header lines: ``region``, ``period``, ``generated``."""


def _cells(table: Table, wording: Wording) -> Iterator[list[Cell]]:
    yield [wording.column(c.key) for c in table.columns]
    for row in table.rows:
        yield [wording.code(c.codes, v) if c.codes and isinstance(v, str) else
               ("—" if v is None else v) for c, v in zip(table.columns, row, strict=True)]


def _header(report: Report, region_name: str, wording: Wording) -> list[list[Cell]]:
    return [[wording.heading("region"), region_name],
            [wording.heading("period"), report.period.label],
            [wording.heading("time_zone"), report.period.zone],
            [wording.heading("generated"), report.generated_at.isoformat(timespec="seconds")]]


def to_csv(report: Report, region_name: str, wording: Wording) -> str:
    """The report as one CSV document (UTF-8 with BOM, for spreadsheet programs)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(_header(report, region_name, wording))
    for table in report.tables:
        writer.writerow([])
        writer.writerow([wording.title(table.key)])
        writer.writerows(_cells(table, wording))
    return "\ufeff" + out.getvalue()


def to_xlsx(report: Report, region_name: str, wording: Wording) -> bytes:
    """The report as a workbook: one sheet per table, each starting with region and period."""
    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        for line in _header(report, region_name, wording):
            sheet.append(line)
        sheet.append([])
        sheet.append([wording.title(table.key)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        for n, line in enumerate(_cells(table, wording)):
            sheet.append(line)
            if n == 0:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
