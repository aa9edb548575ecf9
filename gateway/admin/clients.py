"""OAuth clients of institutions: register (keys pasted or by URL), rotate keys, revoke."""

from __future__ import annotations

import json
import uuid

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask import session as session_store
from flask_babel import gettext as _
from wtforms import SelectChoice

from gateway.admin import bp, rule_words
from gateway.admin.auth import actor
from gateway.admin.forms import ClientForm, KeysForm
from gateway.db import db_session
from gateway.models import AuthMethod
from gateway.services.coordination import tenancy
from gateway.services.errors import InvalidInput
from gateway.services.network import clients
from gateway.services.network.jwks_fetch import FetchPolicy


def _client_form() -> ClientForm:
    form = ClientForm()
    form.institution.choices = [
        SelectChoice(str(i.id), i.name)
        for i in tenancy.institution_list(db_session(), g.coordinator) if i.active]
    return form


def _fetch_policy() -> FetchPolicy:
    return FetchPolicy.from_config(current_app.config)


@bp.route("/clients")
def client_list():
    """The clients of the coordinator's institutions."""
    return render_template("admin/clients.html",
                           clients=tenancy.client_list(db_session(), g.coordinator))


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new():
    """Register a client; a generated secret is shown on the answer page only, once."""
    form = _client_form()
    error = None
    if form.validate_on_submit():
        session = db_session()
        method = AuthMethod(form.auth_method.data)
        keys = method is AuthMethod.PRIVATE_KEY_JWT
        try:
            institution = tenancy.institution(session, g.coordinator,
                                                   uuid.UUID(form.institution.data))
            registration = clients.register(
                session, actor(), name=form.name.data.strip(), institution_id=institution.id,
                auth_method=method, scopes=form.scopes.data, allowed_algs=form.algs.data or None,
                jwks=json.loads(form.jwks.data) if keys and form.jwks.data else None,
                jwks_uri=form.jwks_uri.data.strip() if keys and form.jwks_uri.data else None,
                fetch_policy=_fetch_policy())
        except InvalidInput as exc:
            session.rollback()
            error = rule_words.message(exc)
        else:
            # POST-redirect-GET: a refresh of the answer page registers nothing again; the
            # secret rides once in the signed session and is dropped when the page shows it
            session_store["new_client"] = {"id": registration.client.client_id,
                                           "secret": registration.client_secret}
            return redirect(url_for("admin.client_registered",
                                    client_id=registration.client.client_id))
    elif form.errors:
        error = _("Please correct the marked fields.")
    return render_template("admin/client_form.html", form=form, error=error), \
        422 if error else 200


@bp.route("/clients/<client_id>/registered")
def client_registered(client_id: str):
    """The answer to a registration: the client id, and a generated secret this once only."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    fresh = session_store.pop("new_client", None)
    secret = fresh["secret"] if fresh and fresh["id"] == client.client_id else None
    return render_template("admin/client_registered.html", client=client, secret=secret,
                           title=_("System connected"))


@bp.route("/clients/<client_id>/keys", methods=["GET", "POST"])
def client_keys(client_id: str):
    """Rotate keys: a pasted JWK Set, or one fetched from a URL, replaces the registered one."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    form = KeysForm()
    if not form.is_submitted():
        if client.jwks_uri:
            form.jwks_uri.data = client.jwks_uri
        elif client.jwks:
            form.jwks.data = json.dumps(client.jwks, indent=2)
    error = None
    if not form.validate_on_submit():
        error = _("Please correct the marked fields.") if form.errors else None
    elif bool(form.jwks.data) == bool(form.jwks_uri.data):
        error = _("Paste a JWK Set or give its URL, not both.")
    else:
        try:
            if form.jwks_uri.data:
                clients.use_jwks_uri(db_session(), actor(), client.client_id,
                                     form.jwks_uri.data.strip(), _fetch_policy())
            else:
                clients.replace_jwks(db_session(), actor(), client.client_id,
                                     json.loads(form.jwks.data))
        except InvalidInput as exc:
            db_session().rollback()
            error = rule_words.message(exc)
        else:
            flash(_("New keys of %(name)s saved.", name=client.name))
            return redirect(url_for("admin.client_list"))
    return render_template("admin/client_keys.html", form=form, client=client, error=error), \
        422 if error else 200


@bp.route("/clients/<client_id>/revoke", methods=["GET", "POST"])
def client_revoke(client_id: str):
    """Ask first (GET); then revoke: no new tokens, and its live tokens stop at once."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm.html", title=_("Revoke this connected system?"),
            subject=client.name, confirm_label=_("Yes, revoke"),
            consequence=_("It can no longer call the gateway; tokens it holds stop working at "
                          "once. It can be reactivated later with new tokens."),
            action_url=url_for("admin.client_revoke", client_id=client.client_id),
            back_url=url_for("admin.client_list"))
    clients.revoke(db_session(), actor(), client.client_id)
    flash(_("%(name)s revoked.", name=client.name))
    return redirect(url_for("admin.client_list"))


@bp.route("/clients/<client_id>/reactivate", methods=["POST"])
def client_reactivate(client_id: str):
    """Let a revoked client get tokens again (audited); its old tokens stay dead."""
    client = tenancy.client(db_session(), g.coordinator, client_id)
    clients.reactivate(db_session(), actor(), client.client_id)
    flash(_("%(name)s reactivated.", name=client.name))
    return redirect(url_for("admin.client_list"))
