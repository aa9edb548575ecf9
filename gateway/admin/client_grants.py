"""A connected system's scopes (what it may do) and a new shared secret, shown once."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask import session as session_store
from flask_babel import gettext as _

from gateway.admin import bp, rule_words
from gateway.admin.auth import actor
from gateway.admin.forms import ScopesForm
from gateway.db import db_session
from gateway.services.coordination import tenancy
from gateway.services.errors import InvalidInput
from gateway.services.network import client_grants


@bp.route("/clients/<client_id>/scopes", methods=["GET", "POST"])
def client_scopes(client_id: str):
    """Tick what the system may do; the emergency rule is checked as at registration."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    form = ScopesForm()
    if not form.is_submitted():
        form.scopes.data = list(client.allowed_scopes)
    error = None
    if form.validate_on_submit():
        try:
            client_grants.set_scopes(db_session(), actor(), client.client_id, form.scopes.data)
        except InvalidInput as exc:
            db_session().rollback()
            error = rule_words.message(exc)
        else:
            flash(_("What %(name)s may do is saved.", name=client.name))
            return redirect(url_for("admin.client_list"))
    elif form.errors:
        error = _("Choose at least one thing the system may do.")
    return render_template("admin/client_scopes.html", form=form, client=client,
                           error=error), 422 if error else 200


@bp.route("/clients/<client_id>/secret", methods=["GET", "POST"])
def client_secret(client_id: str):
    """Ask first (GET); then make a new shared secret: the old one stops at once."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm.html", title=_("Make a new secret for this system?"),
            subject=client.name, confirm_label=_("Yes, make a new secret"),
            consequence=_("The old secret stops working at once: the partner must put the new "
                          "one into its system before it can sign in again."),
            action_url=url_for("admin.client_secret", client_id=client.client_id),
            back_url=url_for("admin.client_list"))
    secret = client_grants.rotate_secret(db_session(), actor(), client.client_id)
    session_store["new_client"] = {"id": client.client_id, "secret": secret}  # shown once
    return redirect(url_for("admin.client_secret_shown", client_id=client.client_id))


@bp.route("/clients/<client_id>/secret/new")
def client_secret_shown(client_id: str):
    """The new secret, this once only (a reload shows that it is gone)."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    fresh = session_store.pop("new_client", None)
    secret = fresh["secret"] if fresh and fresh["id"] == client.client_id else None
    return render_template("admin/client_registered.html", client=client, secret=secret,
                           title=_("New secret"))
