"""Partnerships: propose between institutions, approve, suspend, resume, end."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from gateway.admin import bp, local_time, rule_words
from gateway.admin.auth import actor
from gateway.admin.forms import EXCHANGE_LABELS, PartnershipForm
from gateway.db import db_session
from gateway.models import Exchange, Institution, PartnershipStatus, utcnow
from gateway.services.coordination import regions, tenancy
from gateway.services.errors import Forbidden, InvalidInput, NotFound
from gateway.services.network import institutions, partnerships

ACTIONS = {"approve": PartnershipStatus.ACTIVE, "suspend": PartnershipStatus.SUSPENDED,
           "resume": PartnershipStatus.ACTIVE, "end": PartnershipStatus.ENDED}
DONE = {"approve": _l("Partnership %(pair)s approved."),
        "suspend": _l("Partnership %(pair)s suspended."),
        "resume": _l("Partnership %(pair)s resumed."),
        "end": _l("Partnership %(pair)s ended.")}


def _form() -> PartnershipForm:
    form = PartnershipForm()
    choices = [SelectChoice(str(i.id), i.name)
               for i in tenancy.institution_list(db_session(), g.coordinator) if i.active]
    form.first.choices = form.second.choices = choices
    if request.method == "GET" and len(choices) > 1:
        form.first.data, form.second.data = choices[0].value, choices[1].value  # not twice
    if request.method == "GET":
        today = utcnow().date()
        form.valid_from.data, form.valid_until.data = today, today + timedelta(days=365)
    return form


def _four_eyes(partnership) -> bool:
    """Whether either party's region asks a second coordinator to approve."""
    session = db_session()
    return any(regions.four_eyes(current_app.config, session.get(Institution, i).region)
               for i in (partnership.institution_a_id, partnership.institution_b_id))


def _dates_and_parties_ok(form: PartnershipForm) -> bool:
    """Two different institutions; from today (local) at the earliest, for at most the
    configured length; the errors in plain words on the fields."""
    today = datetime.now(local_time.zone()).date()
    longest = int(current_app.config["PARTNERSHIP_MAX_DAYS"])
    checks = [
        (form.second, form.first.data == form.second.data,
         _l("Choose two different institutions.")),
        (form.valid_from, form.valid_from.data < today,
         _l("A partnership cannot start in the past.")),
        (form.valid_until, form.valid_until.data <= form.valid_from.data,
         _l("The end date must be after the start date.")),
        (form.valid_until, (form.valid_until.data - form.valid_from.data).days > longest,
         _l("A partnership may last at most %(days)s days.", days=longest)),
    ]
    for field, failed, message in checks:
        if failed:
            field.errors = [*field.errors, message]
    return not any(failed for _, failed, _ in checks)


def _page(form: PartnershipForm, error: str | None = None, status: int = 200):
    session = db_session()
    names = {i.id: i.name for i in institutions.list_all(session)}
    return render_template("admin/partnerships.html", form=form, error=error, names=names,
                           partnerships=tenancy.partnership_list(session, g.coordinator),
                           exchanges=EXCHANGE_LABELS, next_statuses=partnerships.NEXT_STATUSES,
                           statuses=PartnershipStatus, me=g.coordinator.label,
                           four_eyes={p.id: _four_eyes(p) for p in
                                      tenancy.partnership_list(session, g.coordinator)}), status


@bp.route("/partnerships")
def partnership_list():
    """Partnerships touching the coordinator's region, with the form to propose one."""
    return _page(_form())


@bp.route("/partnerships", methods=["POST"])
def partnership_new():
    """Propose a partnership; it allows nothing until approved."""
    form = _form()
    if not form.validate_on_submit() or not _dates_and_parties_ok(form):
        return _page(form, status=422)
    session = db_session()
    try:
        parties = tuple(tenancy.institution(session, g.coordinator, uuid.UUID(value)).id
                        for value in (form.first.data, form.second.data))
        partnerships.propose(
            session, actor(), institution_ids=parties,
            exchanges=[Exchange(e) for e in form.exchanges.data],
            valid_from=datetime.combine(form.valid_from.data, time(), local_time.zone()),
            valid_until=datetime.combine(form.valid_until.data, time(), local_time.zone()))
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _page(form, rule_words.message(exc), 422)
    except ValueError:
        session.rollback()
        return _page(form, _("Please correct the marked fields."), 422)
    flash(_("Partnership proposed; it allows nothing until it is approved."))
    return redirect(url_for("admin.partnership_list"))


@bp.route("/partnerships/<uuid:partnership_id>/<any(approve, suspend, resume, end):action>",
          methods=["GET", "POST"])
def partnership_status(partnership_id: uuid.UUID, action: str):
    """Change a partnership's status (ending it is asked first); the API honours it at once."""
    session = db_session()
    found = tenancy.partnership(session, g.coordinator, partnership_id)
    names = {i.id: i.name for i in institutions.list_all(session)}
    pair = f"{names.get(found.institution_a_id, '?')} – {names.get(found.institution_b_id, '?')}"  # noqa: RUF001
    if request.method == "GET":
        if action != "end":
            return redirect(url_for("admin.partnership_list"))
        return render_template(
            "admin/confirm.html", title=_("End this partnership?"), subject=pair,
            confirm_label=_("Yes, end it"),
            consequence=_("The two institutions can no longer exchange anything under it. "
                          "An ended partnership cannot be resumed; propose a new one instead."),
            action_url=url_for("admin.partnership_status", partnership_id=found.id,
                               action="end"),
            back_url=url_for("admin.partnership_list"))
    if action == "approve":
        try:
            partnerships.approve(session, actor(), found.id, four_eyes=_four_eyes(found))
        except Forbidden:
            flash(_("Another coordinator must approve a partnership you proposed."), "error")
            return redirect(url_for("admin.partnership_list"))
    else:
        partnerships.change_status(session, actor(), found.id, ACTIONS[action])
    flash(DONE[action] % {"pair": pair})
    return redirect(url_for("admin.partnership_list"))
