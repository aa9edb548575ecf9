"""The reports page (统计报表) and its CSV and XLSX files."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from gateway.admin import bp
from gateway.admin.auth import actor
from gateway.admin.report_words import CODES, COLUMNS, TITLES, Wording
from gateway.db import db_session
from gateway.services.audit import journal
from gateway.services.coordination import regions, reports
from gateway.services.coordination.reports import exports
from gateway.services.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportForm(FlaskForm):
    """Which period (and, for an admin, which region) the report covers; a GET form."""

    class Meta:
        csrf = False

    period = SelectField(_l("Period"), default="month", choices=[
        SelectChoice("week", _l("This week")), SelectChoice("month", _l("A month")),
        SelectChoice("term", _l("This term")), SelectChoice("custom", _l("Custom dates"))])
    first = DateField(_l("First day"), validators=[Optional()])
    last = DateField(_l("Last day (included)"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)


def _region(form: ReportForm) -> str | None:
    """A coordinator's own region; an admin's choice (empty: every region)."""
    if g.coordinator.scope_region is not None:
        return g.coordinator.scope_region
    return form.region.data or None


def _report(form: ReportForm) -> reports.Report | None:
    """The report the form asks for, or None (with the form's errors set)."""
    session = db_session()
    config = current_app.config
    form.region.choices = [SelectChoice("", _l("Every region"))] + [
        SelectChoice(r, regions.name(config, r)) for r in regions.known(session)]
    if not form.validate():
        return None
    region = _region(form)
    try:
        period = reports.resolve(reports.PeriodKind(form.period.data),
                                 regions.time_zone(config, region),
                                 first=form.first.data, last=form.last.data)
    except InvalidInput:
        form.last.errors = [*form.last.errors, _l(
            "Choose a first and a last day: the last not before the first, "
            "at most 366 days apart.")]
        return None
    return reports.build(session, region=region, period=period,
                         requirements=reports.Requirements.from_config(config))


def _plotted(value: reports.tables.Cell) -> float | None:
    """A number to draw; a suppressed or left-out value is not drawn."""
    return value if isinstance(value, int | float) else None


def _series(table: reports.Table, categories: int, *keys: str) -> dict:
    index = {c.key: n for n, c in enumerate(table.columns)}
    return {"categories": [row[categories] for row in table.rows],
            "series": [{"name": str(COLUMNS[key]),
                        "data": [_plotted(row[index[key]]) for row in table.rows]}
                       for key in keys]}


def charts(report: reports.Report) -> dict[str, dict]:
    """What the page draws, by table key: the same cells as the tables beside the charts."""
    return {
        "weekly": {"kind": "line", **_series(report.table("weekly"), 0, "sent", "received")},
        "sla": {"kind": "bar", "max": 100, "unit": "%", **_series(
            report.table("sla"), 0, "receipt_on_time_percent", "decision_on_time_percent")},
        "decision_histogram": {"kind": "bar", "unit": str(_l("min")), **_series(
            report.table("decision_histogram"), 0, "decisions")},
    }


def _region_name(report: reports.Report) -> str:
    return regions.name(current_app.config, report.region) or str(_l("Every region"))


@bp.route("/reports")
def report_page():
    """The report for the chosen period: every table, with charts for the trends."""
    form = ReportForm(request.args)
    report = _report(form)
    return render_template(
        "admin/reports.html", form=form, report=report, titles=TITLES, columns=COLUMNS,
        codes=CODES, scope_name=_region_name(report) if report else "",
        charts=charts(report) if report else {},
        query=request.query_string.decode()), 200 if report else 422


def _export(extension: str, mimetype: str, render) -> Response:
    form = ReportForm(request.args)
    report = _report(form)
    if report is None:
        return Response(" ".join(str(e) for errors in form.errors.values() for e in errors),
                        status=422, mimetype="text/plain")
    body = render(report, _region_name(report), Wording())
    journal.record(db_session(), actor(), "report.exported", "region", None, detail={
        "region": report.region, "first": report.period.first.isoformat(),
        "last": report.period.last.isoformat(), "format": extension})
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    name = f"report-{report.region or 'all'}-{report.period.first}-{report.period.last}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{extension}"'})


@bp.route("/reports/export.csv")
def report_csv():
    """The report as CSV (audited)."""
    return _export("csv", "text/csv", exports.to_csv)


@bp.route("/reports/export.xlsx")
def report_xlsx():
    """The report as an Excel workbook (audited)."""
    return _export("xlsx", XLSX, exports.to_xlsx)
