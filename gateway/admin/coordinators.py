"""Coordinators, for admins: add (password and authenticator secret shown once), change role,
deactivate and reactivate, reset the authenticator."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for
from flask import session as session_store
from flask_babel import gettext as _

from gateway.admin import bp, rule_words
from gateway.admin.forms import ROLE_LABELS, CoordinatorForm, RoleForm
from gateway.db import db_session
from gateway.models import Coordinator, CoordinatorRole
from gateway.services.coordination import coordinators
from gateway.services.errors import Conflict, InvalidInput, NotFound

_FRESH = "new_coordinator_credentials"


@bp.before_request
def _admins_only():
    """These pages exist only for admins (others get the not-found page)."""
    if (request.endpoint or "").startswith("admin.coordinator") and (
            g.get("coordinator") is None or g.coordinator.role is not CoordinatorRole.ADMIN):
        raise NotFound("No such page.")


def _one(coordinator_id: uuid.UUID) -> Coordinator:
    found = db_session().get(Coordinator, coordinator_id)
    if found is None:
        raise NotFound("No coordinator with that id.")
    return found


def _show_once(credentials: coordinators.Credentials):
    session_store[_FRESH] = {"id": str(credentials.coordinator.id),
                             "password": credentials.password,
                             "secret": credentials.totp_secret,
                             "uri": credentials.provisioning_uri}
    return redirect(url_for("admin.coordinator_credentials",
                            coordinator_id=credentials.coordinator.id))


@bp.route("/coordinators")
def coordinator_list():
    """Every coordinator account."""
    return render_template("admin/coordinators.html", roles=ROLE_LABELS,
                           people=coordinators.list_all(db_session(), g.coordinator))


@bp.route("/coordinators/new", methods=["GET", "POST"])
def coordinator_new():
    """Add a coordinator; the next page shows their first credentials once."""
    form = CoordinatorForm()
    error = None
    if form.validate_on_submit():
        try:
            created = coordinators.add(db_session(), g.coordinator, email=form.email.data,
                                       role=CoordinatorRole(form.role.data),
                                       region=(form.region.data or "").strip() or None)
        except InvalidInput as exc:
            db_session().rollback()
            error = rule_words.message(exc)
        else:
            return _show_once(created)
    elif form.errors:
        error = _("Please correct the marked fields.")
    return render_template("admin/coordinator_form.html", form=form, error=error,
                           title=_("Add a coordinator")), 422 if error else 200


@bp.route("/coordinators/<uuid:coordinator_id>/credentials")
def coordinator_credentials(coordinator_id: uuid.UUID):
    """First password and authenticator secret, this once only."""
    person = _one(coordinator_id)
    fresh = session_store.pop(_FRESH, None)
    shown = fresh if fresh and fresh["id"] == str(person.id) else None
    return render_template("admin/coordinator_credentials.html", person=person, fresh=shown)


@bp.route("/coordinators/<uuid:coordinator_id>/role", methods=["GET", "POST"])
def coordinator_role(coordinator_id: uuid.UUID):
    """Change role and region; the person signs in again."""
    person = _one(coordinator_id)
    form = RoleForm(data={"role": person.role.value, "region": person.region})
    error = None
    if form.validate_on_submit():
        try:
            coordinators.change_role(db_session(), g.coordinator, person.id,
                                     role=CoordinatorRole(form.role.data),
                                     region=(form.region.data or "").strip() or None)
        except (InvalidInput, Conflict) as exc:
            db_session().rollback()
            error = rule_words.message(exc)
        else:
            flash(_("Role of %(email)s changed.", email=person.email))
            return redirect(url_for("admin.coordinator_list"))
    return render_template("admin/coordinator_form.html", form=form, error=error, person=person,
                           title=_("Change role")), 422 if error else 200


def _confirm(person: Coordinator, title: str, label: str, consequence: str, endpoint: str):
    return render_template("admin/confirm.html", title=title, subject=person.email,
                           confirm_label=label, consequence=consequence,
                           action_url=url_for(endpoint, coordinator_id=person.id),
                           back_url=url_for("admin.coordinator_list"))


@bp.route("/coordinators/<uuid:coordinator_id>/deactivate", methods=["GET", "POST"])
def coordinator_deactivate(coordinator_id: uuid.UUID):
    """Ask first (GET); then end their sessions and refuse their sign-in (POST)."""
    person = _one(coordinator_id)
    if request.method == "GET":
        return _confirm(person, _("Deactivate this coordinator?"), _("Yes, deactivate"),
                        _("They are signed out at once and cannot sign in until reactivated."),
                        "admin.coordinator_deactivate")
    coordinators.set_active(db_session(), g.coordinator, person.id, False)
    flash(_("%(email)s deactivated.", email=person.email))
    return redirect(url_for("admin.coordinator_list"))


@bp.route("/coordinators/<uuid:coordinator_id>/reactivate", methods=["POST"])
def coordinator_reactivate(coordinator_id: uuid.UUID):
    """Let a deactivated coordinator sign in again (audited)."""
    person = _one(coordinator_id)
    coordinators.set_active(db_session(), g.coordinator, person.id, True)
    flash(_("%(email)s reactivated.", email=person.email))
    return redirect(url_for("admin.coordinator_list"))


@bp.route("/coordinators/<uuid:coordinator_id>/totp", methods=["GET", "POST"])
def coordinator_totp(coordinator_id: uuid.UUID):
    """Ask first (GET); then a new authenticator secret, shown once (POST)."""
    person = _one(coordinator_id)
    if request.method == "GET":
        return _confirm(person, _("Reset the authenticator?"), _("Yes, reset"),
                        _("Their authenticator app stops giving valid codes; they are signed "
                          "out and add the new secret shown on the next page."),
                        "admin.coordinator_totp")
    return _show_once(coordinators.reset_totp(db_session(), g.coordinator, person.id))


