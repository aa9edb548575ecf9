"""Break-glass review queue: emergency releases with their justifications, and their review."""

from __future__ import annotations

import uuid

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _

from gateway.admin import bp
from gateway.admin.forms import OUTCOME_LABELS, ReviewForm
from gateway.db import db_session
from gateway.models import ReviewOutcome
from gateway.services.coordination import release_reviews
from gateway.services.network import institutions


def _names() -> dict:
    return {i.id: i.name for i in institutions.list_all(db_session())}


@bp.route("/breakglass")
def breakglass_list():
    """Releases waiting for review (justification shown, reading audited), then recent reviews."""
    session = db_session()
    return render_template("admin/breakglass.html", names=_names(), outcomes=OUTCOME_LABELS,
                           pending=release_reviews.queue(session, g.coordinator),
                           reviewed=release_reviews.reviewed(session, g.coordinator))


def _page(release_id: uuid.UUID, form: ReviewForm, error: str | None = None):
    # always 200, even with form errors: the page shows the justification, and the audit
    # entry of that reading must be committed (a 4xx response rolls the request back)
    release = release_reviews.read(db_session(), g.coordinator, release_id)
    return render_template("admin/breakglass_release.html", release=release, form=form,
                           error=error, names=_names(), outcomes=OUTCOME_LABELS)


@bp.route("/breakglass/<uuid:release_id>")
def breakglass_release(release_id: uuid.UUID):
    """One release with its justification and, until reviewed, the review form."""
    return _page(release_id, ReviewForm())


@bp.route("/breakglass/<uuid:release_id>/review", methods=["POST"])
def breakglass_review(release_id: uuid.UUID):
    """Record the outcome and note; ``unjustified`` ends the recipient's access at once."""
    form = ReviewForm()
    if not form.validate_on_submit():
        return _page(release_id, form, _("Choose an outcome and write a note."))
    release_reviews.review(db_session(), g.coordinator, release_id,
                            ReviewOutcome(form.outcome.data), form.note.data)
    return redirect(url_for("admin.breakglass_release", release_id=release_id))
