"""Delivery: dead-lettered messages with the partner's last error, and replay."""

from __future__ import annotations

import uuid

from flask import g, redirect, render_template, url_for

from gateway.admin import bp
from gateway.db import db_session
from gateway.services.coordination import tenancy
from gateway.services.network import institutions


@bp.route("/delivery")
def dead_letters():
    """Messages the outbox gave up on, newest first."""
    session = db_session()
    names = {i.id: i.name for i in institutions.list_all(session)}
    return render_template("admin/delivery.html", names=names,
                           messages=tenancy.dead_letters(session, g.coordinator))


@bp.route("/delivery/<uuid:message_id>/replay", methods=["POST"])
def replay(message_id: uuid.UUID):
    """Queue a dead letter again for immediate delivery."""
    tenancy.replay(db_session(), g.coordinator, message_id)
    return redirect(url_for("admin.dead_letters"))
