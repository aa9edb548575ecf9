"""The audit viewer: filter by institution name or coordinator e-mail, page, verify the log,
witnesses' lag, export as JSON lines or CSV, a student's access report."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

from flask import Response, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.admin import bp, local_time
from gateway.admin.audit_words import ACTIONS, PURPOSES
from gateway.admin.auth import actor
from gateway.admin.forms import AccessReportForm, AuditFilterForm
from gateway.db import db_session
from gateway.keystore import current_keyring, current_log
from gateway.services.audit import access_report, integrity, journal, viewer, witnesses
from gateway.services.coordination import tenancy
from gateway.services.errors import NotFound

PAGE = 200


def _day(value, shift: int = 0) -> datetime | None:
    """Local midnight (the region's zone) of a date from the form plus ``shift`` days, or None."""
    if not value:
        return None
    return datetime.combine(value + timedelta(days=shift), time(), local_time.zone())


def _institution_id(form: AuditFilterForm) -> uuid.UUID | bool | None:
    """The institution the field names (an id, or a name in the region); False: an error."""
    text = (form.institution.data or "").strip()
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    found = tenancy.institution_list(db_session(), g.coordinator, text)
    exact = [i for i in found if i.name.lower() == text.lower()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0].id
    form.institution.errors = [*form.institution.errors, _l(
        "No institution of your region has that name.") if not found else _l(
        "Several institutions match; type more of the name.")]
    return False


def _actor(form: AuditFilterForm) -> str | bool | None:
    text = (form.actor.data or "").strip()
    if "@" not in text:
        return text or None
    label = viewer.coordinator_label(db_session(), text)
    if label is None:
        form.actor.errors = [*form.actor.errors, _l("No coordinator has that e-mail.")]
        return False
    return label


def _filter(form: AuditFilterForm) -> viewer.AuditFilter | None:
    """The filter the form describes, or None when the form is invalid."""
    if not form.validate():
        return None
    if form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = [*form.until.errors, _l("The end date is before the start date.")]
        return None
    institution, who = _institution_id(form), _actor(form)
    if institution is False or who is False:
        return None
    return viewer.AuditFilter(
        institution_id=institution, actor=who, action=form.action.data or None,
        object_type=form.object_type.data or None, object_id=form.object_id.data or None,
        since=_day(form.since.data), until=_day(form.until.data, 1))


def _page_number() -> int:
    value = request.args.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1


@bp.route("/audit")
def audit_list():
    """The newest matching entries the coordinator may see, 200 a page."""
    form = AuditFilterForm(request.args)
    wanted = _filter(form)
    page = _page_number()
    session = db_session()
    entries = viewer.search(session, g.coordinator, wanted, limit=PAGE + 1,
                            offset=(page - 1) * PAGE) if wanted else []
    more = len(entries) > PAGE
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", form=form, entries=entries[:PAGE], page=page,
                           more=more, args=args, size=PAGE, actions=ACTIONS, purposes=PURPOSES,
                           witnesses=witnesses.lag(session),
                           query=request.query_string.decode()), 200 if wanted else 422


@bp.route("/audit/verify", methods=["POST"])
def audit_verify():
    """Recompute every leaf and root, check every checkpoint, and show the result."""
    session = db_session()
    result = integrity.verify_log(session, current_log().verifiers)
    journal.record(session, actor(), "audit.verified", "audit_log", None,
                   detail={"ok": result.ok, "leaves": result.leaves})
    return render_template("admin/audit_verified.html", result=result)


def _export(wanted: viewer.AuditFilter, extension: str, mimetype: str, body: str) -> Response:
    journal.record(db_session(), actor(), "audit.exported", "audit_log", None,
                   detail={**wanted.as_detail(), "format": extension})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.{extension}"'})


@bp.route("/audit/export.jsonl")
def audit_export():
    """Matching entries as JSON lines, with leaf indices; the export is itself audited."""
    session = db_session()
    wanted = _filter(AuditFilterForm(request.args)) or viewer.AuditFilter()
    body = "".join(viewer.export_lines(session, g.coordinator, wanted))
    return _export(wanted, "jsonl", "application/jsonl", body)


@bp.route("/audit/export.csv")
def audit_export_csv():
    """Matching entries as CSV (UTC times with offsets, codes and labels); audited."""
    wanted = _filter(AuditFilterForm(request.args)) or viewer.AuditFilter()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "recorded_at", "actor", "action", "action_label", "object_type",
                     "object_id", "purpose", "leaf_index"])
    for e in viewer.export_rows(db_session(), g.coordinator, wanted):
        writer.writerow([e.seq, e.recorded_at.isoformat(), e.actor, e.action,
                         str(ACTIONS.get(e.action, "")), e.object_type, e.object_id or "",
                         e.purpose or "", "" if e.leaf_index is None else e.leaf_index])
    return _export(wanted, "csv", "text/csv", "\ufeff" + out.getvalue())


@bp.route("/audit/access-report")
def audit_access_report():
    """A printable report of every access to one student's data (PIPL right to know)."""
    form = AccessReportForm(request.args)
    lines = None
    if request.args and form.validate():
        session = db_session()
        try:
            holder = tenancy.institution(session, g.coordinator,
                                         uuid.UUID(form.institution.data)).id
        except (ValueError, NotFound):
            form.institution.errors = [*form.institution.errors, _("No such institution.")]
        else:
            lines = access_report.for_subject(session, holder, current_keyring().pseudonyms,
                                              form.subject_ref.data)
            journal.record(session, actor(), "audit.access_report", "institution", holder,
                           detail={"lines": len(lines)})
    status = 422 if request.args and lines is None else 200
    return render_template("admin/access_report.html", form=form, lines=lines), status
