"""The referral board: open alerts, counts by status, green-channel queue, decision chart."""

from __future__ import annotations

from flask import g, render_template

from gateway.admin import bp
from gateway.db import db_session
from gateway.services.alerts import queue as alert_queue
from gateway.services.coordination import board as board_service
from gateway.services.coordination import release_reviews, tenancy
from gateway.services.network import institutions


@bp.route("/board")
def board():
    """Pseudonyms, institution names and counts only: no personal data on this page."""
    session = db_session()
    summary = board_service.summary(
        session, tenancy.region_institution_ids(session, g.coordinator))
    names = {i.id: i.name for i in institutions.list_all(session)}
    return render_template("admin/board.html", board=summary, names=names,
                           histogram=summary.histogram(),
                           alerts=alert_queue.open_alerts(session, g.coordinator),
                           releases=release_reviews.pending(session, g.coordinator))
