"""The referral board: counts by status, green-channel queue, time-to-decision chart."""

from __future__ import annotations

from flask import g, render_template

from gateway.admin import bp
from gateway.db import db_session
from gateway.services import board as board_service
from gateway.services import breakglass_queue, coordination, institutions


@bp.route("/board")
def board():
    """Pseudonyms, institution names and counts only: no personal data on this page."""
    session = db_session()
    summary = board_service.summary(
        session, coordination.region_institution_ids(session, g.coordinator))
    names = {i.id: i.name for i in institutions.list_all(session)}
    return render_template("admin/board.html", board=summary, names=names,
                           histogram=summary.histogram(),
                           releases=breakglass_queue.pending(session, g.coordinator))
