"""Alerts: the list of open alerts with how each was delivered, acknowledging, and contacts."""

from __future__ import annotations

import uuid

from flask import current_app, g, redirect, render_template, url_for
from flask_babel import gettext as _

from gateway.admin import bp
from gateway.admin.forms import AlertContactForm
from gateway.db import db_session
from gateway.services.alerts import contacts, queue
from gateway.services.coordination import regions, tenancy
from gateway.services.errors import Conflict
from gateway.services.network import institutions


@bp.app_template_filter("region_time")
def region_time(moment, region: str | None) -> str:
    """A UTC timestamp in the region's time zone (empty for none)."""
    return "" if moment is None else regions.local(current_app.config, region, moment)


def _names() -> dict:
    return {i.id: i.name for i in institutions.list_all(db_session())}


@bp.route("/alerts")
def alert_list():
    """Open alerts, newest first (undelivered ones marked), then recently acknowledged."""
    session = db_session()
    return render_template("admin/alerts.html", names=_names(),
                           open_alerts=queue.open_alerts(session, g.coordinator),
                           done=queue.acknowledged(session, g.coordinator))


@bp.route("/alerts/<uuid:alert_id>/acknowledge", methods=["POST"])
def alert_acknowledge(alert_id: uuid.UUID):
    """A coordinator has seen the alert (audited); it leaves the open list."""
    queue.acknowledge(db_session(), g.coordinator, alert_id)
    return redirect(url_for("admin.alert_list"))


def _contact_form() -> AlertContactForm:
    session = db_session()
    form = AlertContactForm()
    scoped = tenancy.institution_list(session, g.coordinator)
    region_names = sorted({g.coordinator.scope_region} if g.coordinator.scope_region
                          else {i.region for i in scoped})
    form.addressee.choices = (
        [(f"region:{r}", _("Coordinators of region %(region)s", region=r)) for r in region_names]
        + [(f"institution:{i.id}", i.name) for i in scoped])
    return form


def _contacts_page(form: AlertContactForm, error: str | None = None, status: int = 200):
    return render_template("admin/alert_contacts.html", form=form, error=error, names=_names(),
                           contacts=contacts.for_coordinator(db_session(), g.coordinator)), status


@bp.route("/alerts/contacts")
def alert_contacts():
    """Who receives alerts by e-mail when no webhook delivers them."""
    return _contacts_page(_contact_form())


@bp.route("/alerts/contacts", methods=["POST"])
def alert_contact_add():
    """Add a contact for the region or one of its institutions."""
    form = _contact_form()
    if not form.validate_on_submit():
        return _contacts_page(form, _("Choose whose alerts and give an e-mail address."), 422)
    kind, _sep, key = form.addressee.data.partition(":")
    try:
        contacts.add_for(db_session(), g.coordinator, email=form.email.data,
                         region=key if kind == "region" else None,
                         institution_id=uuid.UUID(key) if kind == "institution" else None)
    except Conflict:
        form.email.errors = [_("That address is already a contact.")]
        return _contacts_page(form, _("That address is already a contact."), 409)
    return redirect(url_for("admin.alert_contacts"))


@bp.route("/alerts/contacts/<uuid:contact_id>/remove", methods=["POST"])
def alert_contact_remove(contact_id: uuid.UUID):
    """Remove a contact."""
    contacts.remove_for(db_session(), g.coordinator, contact_id)
    return redirect(url_for("admin.alert_contacts"))
