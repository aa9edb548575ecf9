"""The audit viewer: filter, verify the log, witnesses' lag, export, a student's access
report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from flask import Response, g, render_template, request
from flask_babel import gettext as _

from gateway.admin import bp
from gateway.admin.auth import actor
from gateway.admin.forms import AccessReportForm, AuditFilterForm
from gateway.db import db_session
from gateway.keystore import current_keyring, current_log
from gateway.services.audit import access_report, integrity, journal, viewer, witnesses
from gateway.services.coordination import tenancy
from gateway.services.errors import NotFound


def _day(value, shift: int = 0) -> datetime | None:
    """Midnight UTC of a date from the form (plus ``shift`` days), or None."""
    return datetime.combine(value, time(), UTC) + timedelta(days=shift) if value else None


def _filter(form: AuditFilterForm) -> viewer.AuditFilter | None:
    """The filter the form describes, or None when the form is invalid."""
    if not form.validate():
        return None
    try:
        institution = uuid.UUID(form.institution.data) if form.institution.data else None
    except ValueError:
        form.institution.errors = [*form.institution.errors, "?"]
        return None
    return viewer.AuditFilter(
        institution_id=institution, actor=form.actor.data or None,
        action=form.action.data or None, object_type=form.object_type.data or None,
        object_id=form.object_id.data or None, since=_day(form.since.data),
        until=_day(form.until.data, 1))


@bp.route("/audit")
def audit_list():
    """The newest matching entries the coordinator may see."""
    form = AuditFilterForm(request.args)
    wanted = _filter(form)
    session = db_session()
    entries = viewer.search(session, g.coordinator, wanted) if wanted else []
    return render_template("admin/audit.html", form=form, entries=entries,
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


@bp.route("/audit/export.jsonl")
def audit_export():
    """Matching entries as JSON lines, with leaf indices; the export is itself audited."""
    session = db_session()
    wanted = _filter(AuditFilterForm(request.args)) or viewer.AuditFilter()
    body = "".join(viewer.export_lines(session, g.coordinator, wanted))
    journal.record(session, actor(), "audit.exported", "audit_log", None,
                   detail=wanted.as_detail())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(body, mimetype="application/jsonl", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'})


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
