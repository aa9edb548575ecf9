"""A recipient's settings: its green-channel SLA and on-call contact, and where the gateway
pushes its messages (the signing secret is shown once, after the change).

SEAM (issue 11, branch loop): the alert contacts of an institution belong on this page too,
once that branch's alert-contact model is merged.
"""

from __future__ import annotations

import uuid

from flask import current_app, flash, g, redirect, render_template, url_for
from flask import session as session_store
from flask_babel import gettext as _
from wtforms import SelectChoice

import adapters
from gateway.admin import bp
from gateway.admin.auth import actor
from gateway.admin.forms import EndpointForm, SlaForm
from gateway.db import db_session
from gateway.delivery.worker import delivery_policy
from gateway.services.coordination import regions, tenancy
from gateway.services.errors import InvalidInput, NotFound
from gateway.services.network import endpoints
from gateway.services.referrals import sla

_SECRET = "new_endpoint_secret"  # noqa: S105 - a session key, not a secret


def _page(institution, sla_form: SlaForm, endpoint_form: EndpointForm, error: str | None = None):
    current = endpoints.for_institution(db_session(), institution.id)
    return render_template("admin/recipient.html", institution=institution, sla_form=sla_form,
                           endpoint_form=endpoint_form, endpoint=current, error=error), \
        422 if error or sla_form.errors or endpoint_form.errors else 200


def _endpoint_form() -> EndpointForm:
    form = EndpointForm(prefix="endpoint")
    form.format.choices = [SelectChoice(f, f) for f in sorted(adapters.formats())]
    return form


@bp.route("/institutions/<uuid:institution_id>/delivery")
def recipient(institution_id: uuid.UUID):
    """The SLA and push endpoint of one institution, ready to change."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    policy = sla.policy_for(db_session(), institution.id)
    sla_form = SlaForm(prefix="sla", data={
        "receipt_minutes": policy.receipt_minutes, "decision_minutes": policy.decision_minutes,
        "on_call_contact": policy.on_call_contact})
    endpoint_form = _endpoint_form()
    current = endpoints.for_institution(db_session(), institution.id)
    if current is not None:
        endpoint_form.format.data, endpoint_form.url.data = current.format, current.url
    return _page(institution, sla_form, endpoint_form)


@bp.route("/institutions/<uuid:institution_id>/sla", methods=["POST"])
def recipient_sla(institution_id: uuid.UUID):
    """Save the green-channel promise and the on-call contact (audited, contact encrypted)."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    form = SlaForm(prefix="sla")
    if not form.validate_on_submit():
        return _page(institution, form, _endpoint_form())
    sla.set_policy(db_session(), actor(), institution.id,
                   receipt_minutes=form.receipt_minutes.data,
                   decision_minutes=form.decision_minutes.data,
                   on_call_contact=(form.on_call_contact.data or "").strip() or None)
    flash(_("Service level of %(name)s saved.", name=institution.name))
    return redirect(url_for("admin.recipient", institution_id=institution.id))


@bp.route("/institutions/<uuid:institution_id>/endpoint", methods=["POST"])
def recipient_endpoint(institution_id: uuid.UUID):
    """Set the push endpoint; a new signing secret is made and shown on the next page once."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    form = _endpoint_form()
    if not form.validate_on_submit():
        return _page(institution, SlaForm(prefix="sla"), form)
    try:
        configured = endpoints.configure(
            db_session(), actor(), format_name=form.format.data, url=form.url.data.strip(),
            institution_id=institution.id, policy=delivery_policy(current_app.config))
    except InvalidInput:
        db_session().rollback()
        form.url.errors = [*form.url.errors, _(
            "The gateway may not send to this address: give an https address of the "
            "partner's server.")]
        return _page(institution, SlaForm(prefix="sla"), form)
    session_store[_SECRET] = {"id": str(institution.id), "secret": configured.secret}
    return redirect(url_for("admin.recipient_endpoint_set", institution_id=institution.id))


@bp.route("/institutions/<uuid:institution_id>/endpoint/new")
def recipient_endpoint_set(institution_id: uuid.UUID):
    """The endpoint's signing secret, this once only (a reload shows that it is gone)."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    fresh = session_store.pop(_SECRET, None)
    secret = fresh["secret"] if fresh and fresh["id"] == str(institution.id) else None
    return render_template("admin/endpoint_set.html", name=institution.name, secret=secret,
                           endpoint=endpoints.for_institution(db_session(), institution.id),
                           back_url=url_for("admin.recipient", institution_id=institution.id))


def _region(region: str) -> str:
    if not tenancy.manages(g.coordinator, region):
        raise NotFound("No such region.")
    return region


@bp.route("/regions/<region>/delivery", methods=["GET", "POST"])
def region_endpoint(region: str):
    """Where escalations to the region's coordinators are pushed; a new secret shown once."""
    region = _region(region)
    form = _endpoint_form()
    current = endpoints.for_region(db_session(), region)
    if not form.is_submitted() and current is not None:
        form.format.data, form.url.data = current.format, current.url
    if form.validate_on_submit():
        try:
            configured = endpoints.configure(
                db_session(), actor(), format_name=form.format.data, url=form.url.data.strip(),
                region=region, policy=delivery_policy(current_app.config))
        except InvalidInput:
            db_session().rollback()
            form.url.errors = [*form.url.errors, _(
                "The gateway may not send to this address: give an https address of the "
                "partner's server.")]
        else:
            session_store[_SECRET] = {"id": region, "secret": configured.secret}
            return redirect(url_for("admin.region_endpoint_set", region=region))
    return render_template("admin/region_endpoint.html", region=region, form=form,
                           endpoint=current), 422 if form.errors else 200


@bp.route("/regions/<region>/delivery/new")
def region_endpoint_set(region: str):
    """The region endpoint's signing secret, this once only."""
    region = _region(region)
    fresh = session_store.pop(_SECRET, None)
    secret = fresh["secret"] if fresh and fresh["id"] == region else None
    return render_template("admin/endpoint_set.html", secret=secret,
                           name=regions.name(current_app.config, region),
                           endpoint=endpoints.for_region(db_session(), region),
                           back_url=url_for("admin.region_endpoint", region=region))
