"""Error pages of the admin UI (the APIs keep their problem+json)."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from gateway.admin import bp, rule_words
from gateway.problems import status_of
from gateway.services.errors import DomainError, NotFound


@bp.errorhandler(CSRFError)
def csrf_refused(_exc: CSRFError):
    """A form posted without a valid CSRF token."""
    return render_template("admin/error.html", title=_("Form refused"),
                           message=_("The form was missing its security token or it expired. "
                                     "Go back, reload the page and try again.")), 400


@bp.errorhandler(NotFound)
def not_found(_exc: NotFound):
    """Missing, or outside the coordinator's region: the same answer for both."""
    return render_template("admin/error.html", title=_("Not found"),
                           message=_("There is nothing here, or it is not in your region.")), 404


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    """Any other rule a service enforced; the 4xx status rolls the request back."""
    return render_template("admin/error.html", title=_("Not allowed"),
                           message=rule_words.message(exc)), status_of(exc)
