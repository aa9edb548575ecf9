"""The referral board: open alerts, counts by status, green-channel queue, decision chart."""

from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _

from gateway.admin import bp
from gateway.db import db_session
from gateway.models import ReferralStatus
from gateway.services.alerts import queue as alert_queue
from gateway.services.coordination import board as board_service
from gateway.services.coordination import release_reviews, tenancy
from gateway.services.network import institutions


@bp.route("/referrals")
def referral_list():
    """Referrals of one status (a board tile opens it): pseudonyms and institutions only."""
    session = db_session()
    wanted = request.args.get("status", "")
    status = ReferralStatus(wanted) if wanted in {s.value for s in ReferralStatus} else None
    rows = board_service.listing(session, tenancy.region_institution_ids(session, g.coordinator),
                                 status)
    names = {i.id: i.name for i in institutions.list_all(session)}
    return render_template("admin/referrals.html", rows=rows, names=names, status=status,
                           limit=board_service.LIST_LIMIT)


@bp.route("/board")
def board():
    """Pseudonyms, institution names and counts only: no personal data on this page."""
    session = db_session()
    summary = board_service.summary(
        session, tenancy.region_institution_ids(session, g.coordinator))
    names = {i.id: i.name for i in institutions.list_all(session)}
    bins = summary.histogram()
    chart = {"kind": "bar", "unit": _("min"),
             "categories": [f"≤ {b['upto']}" if b["upto"] is not None
                            else f"> {bins[-2]['upto']}" for b in bins],
             "series": [{"name": _("Decisions"), "data": [b["count"] for b in bins]}]}
    return render_template("admin/board.html", board=summary, names=names,
                           alerts=alert_queue.open_alerts(session, g.coordinator),
                           decision_chart=chart,
                           releases=release_reviews.pending(session, g.coordinator))
