"""Sign-in (password + TOTP), sign-out, the signed-in coordinator and the language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from gateway.admin import LANGUAGE_COOKIE, LANGUAGES, bp, csrf
from gateway.db import db_session
from gateway.services.actor import Actor
from gateway.services.coordination import accounts
from gateway.services.errors import SignInFailed

PUBLIC_ENDPOINTS = {"admin.sign_in", "admin.static", "admin.set_language"}
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class SignInForm(FlaskForm):
    """E-mail, password and the current code of the authenticator app."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    code = StringField(_l("Authenticator code"),
                       validators=[DataRequired(), Regexp(r"^\s*\d{6}\s*$")],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})


@bp.before_request
def _require_coordinator():
    """CSRF on every form post; every page but sign-in needs a signed-in coordinator."""
    if request.method == "POST":
        csrf.protect()
    g.coordinator = None
    if "cid" in session:
        g.coordinator = accounts.current(db_session(), session["cid"],
                                             session.get("epoch", -1))
    if g.coordinator is None and request.endpoint not in PUBLIC_ENDPOINTS:
        session.clear()
        return redirect(url_for("admin.sign_in"))
    return None


def actor() -> Actor:
    """The signed-in coordinator, as the actor of the services it calls."""
    return Actor.coordinator(g.coordinator)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the form; on success start a fresh session, on failure count the attempt."""
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            coordinator = accounts.authenticate(
                db_session(), email=form.email.data, password=form.password.data,
                code=form.code.data)
        except SignInFailed as exc:
            # rendered with 200 so the failure count and its audit entry are committed
            error = (_("Too many failed attempts; try again later.") if exc.extensions.get("locked")
                     else _("E-mail, password or code is wrong."))
        else:
            session.clear()
            session.permanent = True
            session["cid"], session["epoch"] = str(coordinator.id), coordinator.session_epoch
            return redirect(url_for("admin.board"))
    elif request.method == "POST":
        error = _("Please fill in every field.")
    return render_template("admin/sign_in.html", form=form, error=error)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session here and everywhere else this coordinator is signed in."""
    accounts.sign_out(db_session(), g.coordinator)
    session.clear()
    return redirect(url_for("admin.sign_in"))


def _local_path(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return url_for("admin.board")
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the chosen language in a cookie and go back to the page."""
    language = request.form.get("language")
    response = make_response(redirect(_local_path(request.form.get("next"))))
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE, path="/admin",
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return response


@bp.route("/")
def home():
    """The board is the home page."""
    return redirect(url_for("admin.board"))
