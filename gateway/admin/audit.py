"""The audit viewer: filter, verify the chain, export as JSON lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from flask import Response, g, render_template, request
from flask_babel import lazy_gettext as _l

from gateway.admin import bp, local_time
from gateway.admin.auth import actor
from gateway.admin.forms import AuditFilterForm
from gateway.db import db_session
from gateway.services.audit import journal, viewer


def _day(value, shift: int = 0) -> datetime | None:
    """Local midnight (the region's zone) of a date from the form plus ``shift`` days, or None."""
    if not value:
        return None
    return datetime.combine(value + timedelta(days=shift), time(), local_time.zone())


def _filter(form: AuditFilterForm) -> viewer.AuditFilter | None:
    """The filter the form describes, or None when the form is invalid."""
    if not form.validate():
        return None
    if form.since.data and form.until.data and form.until.data < form.since.data:
        form.until.errors = [*form.until.errors, _l("The end date is before the start date.")]
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
    entries = viewer.search(db_session(), g.coordinator, wanted) if wanted else []
    return render_template("admin/audit.html", form=form, entries=entries,
                           query=request.query_string.decode()), 200 if wanted else 422


@bp.route("/audit/verify", methods=["POST"])
def audit_verify():
    """Recompute the whole chain and show the result."""
    session = db_session()
    result = journal.verify(session)
    journal.record(session, actor(), "audit.verified", "audit_log", None,
                 detail={"ok": result.ok, "checked": result.checked})
    return render_template("admin/audit_verified.html", result=result)


@bp.route("/audit/export.jsonl")
def audit_export():
    """Matching entries as JSON lines, with their hashes; the export is itself audited."""
    session = db_session()
    wanted = _filter(AuditFilterForm(request.args)) or viewer.AuditFilter()
    body = "".join(viewer.export_lines(session, g.coordinator, wanted))
    journal.record(session, actor(), "audit.exported", "audit_log", None,
                 detail=wanted.as_detail())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(body, mimetype="application/jsonl", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.jsonl"'})
