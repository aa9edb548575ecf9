"""Institutions: list and search, create, edit, deactivate."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from gateway.admin import bp
from gateway.admin.auth import actor
from gateway.admin.forms import KIND_LABELS, InstitutionForm
from gateway.db import db_session
from gateway.models import InstitutionKind
from gateway.services.coordination import tenancy
from gateway.services.errors import Conflict
from gateway.services.network import institutions


def _form(form: InstitutionForm) -> InstitutionForm:
    """A coordinator's institutions are always in their own region."""
    if g.coordinator.scope_region is not None:
        form.region.data = g.coordinator.scope_region
        form.region.render_kw = {"readonly": True}
    return form


_DUPLICATE = _l("An institution of this name is already registered in the region.")


def _staff(form: InstitutionForm, institution_id: uuid.UUID) -> None:
    institutions.set_staff_counts(db_session(), actor(), institution_id,
                                  students=form.student_count.data,
                                  counsellors=form.counsellor_count.data)


@bp.route("/institutions")
def institution_list():
    """The institutions the coordinator manages, searchable by name or region."""
    text = request.args.get("q", "").strip()[:100]
    found = tenancy.institution_list(db_session(), g.coordinator, text or None)
    return render_template("admin/institutions.html", institutions=found, q=text,
                           kinds=KIND_LABELS)


@bp.route("/institutions/new", methods=["GET", "POST"])
def institution_new():
    """Register an institution."""
    form = _form(InstitutionForm())
    if form.validate_on_submit():
        try:
            created = institutions.register(db_session(), actor(), name=form.name.data.strip(),
                                            kind=InstitutionKind(form.kind.data),
                                            region=form.region.data.strip(),
                                            country=form.country.data)
        except Conflict:
            form.name.errors = [*form.name.errors, _DUPLICATE]
        else:
            _staff(form, created.id)
            flash(_("Institution %(name)s registered.", name=created.name))
            return redirect(url_for("admin.institution_list"))
    return render_template("admin/institution_form.html", form=form,
                           title=_("New institution")), 422 if form.errors else 200


@bp.route("/institutions/<uuid:institution_id>/edit", methods=["GET", "POST"])
def institution_edit(institution_id: uuid.UUID):
    """Change an institution's details."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    form = _form(InstitutionForm(obj=institution if request.method == "GET" else None))
    if request.method == "GET":
        form.kind.data = institution.kind.value
    if form.validate_on_submit():
        try:
            institutions.update(db_session(), actor(), institution.id,
                                name=form.name.data.strip(), kind=InstitutionKind(form.kind.data),
                                region=form.region.data.strip(), country=form.country.data)
        except Conflict:
            db_session().rollback()
            form.name.errors = [*form.name.errors, _DUPLICATE]
        else:
            _staff(form, institution.id)
            flash(_("Changes to %(name)s saved.", name=institution.name))
            return redirect(url_for("admin.institution_list"))
    return render_template("admin/institution_form.html", form=form, institution=institution,
                           title=_("Edit institution")), 422 if form.errors else 200


@bp.route("/institutions/<uuid:institution_id>/deactivate", methods=["GET", "POST"])
def institution_deactivate(institution_id: uuid.UUID):
    """Ask first (GET), then take the institution out of the network (POST)."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    if request.method == "GET":
        return render_template(
            "admin/confirm.html", title=_("Deactivate this institution?"),
            subject=institution.name, confirm_label=_("Yes, deactivate"),
            consequence=_("Its systems get no more access and nothing is delivered to it "
                          "until it is reactivated."),
            action_url=url_for("admin.institution_deactivate", institution_id=institution.id),
            back_url=url_for("admin.institution_list"))
    institutions.deactivate(db_session(), actor(), institution.id)
    flash(_("%(name)s deactivated.", name=institution.name))
    return redirect(url_for("admin.institution_list"))


@bp.route("/institutions/<uuid:institution_id>/reactivate", methods=["POST"])
def institution_reactivate(institution_id: uuid.UUID):
    """Bring a deactivated institution back (audited)."""
    institution = tenancy.institution(db_session(), g.coordinator, institution_id)
    institutions.reactivate(db_session(), actor(), institution.id)
    flash(_("%(name)s reactivated.", name=institution.name))
    return redirect(url_for("admin.institution_list"))

