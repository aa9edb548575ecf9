"""``flask --app gateway deliver`` and ``flask --app gateway scheduler``: long-running workers."""

from __future__ import annotations

import logging
import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.db import transaction
from gateway.delivery.mail import Mailer
from gateway.delivery.worker import Worker
from gateway.logs import request_id_scope
from gateway.models import utcnow
from gateway.services.cases import review_sweep
from gateway.services.network import clients
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import sla_sweep

log = logging.getLogger(__name__)


def _stop_event() -> threading.Event:
    """Set by SIGTERM/SIGINT, so a worker finishes its current message and exits."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.command("deliver")
@with_appcontext
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def deliver_command(once: bool) -> None:
    """Deliver outbox messages to partners, and e-mail alerts no webhook delivered."""
    app = current_app._get_current_object()
    worker, mailer = Worker(app), Mailer(app)
    stop = _stop_event()
    log.info("delivery worker %s started", worker.name)
    while not stop.is_set():
        with request_id_scope():  # the batch's log lines share one id
            claimed = worker.run_once() + mailer.run_once()
        if once and not claimed:
            break
        if not claimed:
            stop.wait(float(app.config["DELIVERY_POLL_INTERVAL"]))


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one sweep and one seal, then exit.")
def scheduler_command(once: bool) -> None:
    """Escalate missed green-channel SLAs, expire unreceived referrals, alert overdue crisis
    reviews, clear expired replay ids, and seal the audit log every AUDIT_SEAL_INTERVAL seconds
    (safe on many hosts)."""
    from gateway.cli import seal_until_done

    app = current_app._get_current_object()
    stop = _stop_event()
    policy = Policy.from_config(app.config)
    sweep_every = float(app.config["SCHEDULER_INTERVAL"])
    seal_every = float(app.config["AUDIT_SEAL_INTERVAL"])
    next_sweep = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_sweep:
            with request_id_scope():  # the sweep's log lines and audit entries share one id
                with transaction(app) as session:
                    done = sla_sweep.sweep(session, utcnow(), policy=policy)
                    reviews = review_sweep.sweep(session, utcnow())
                    clients.clear_spent(session)
                if done.breaches or done.expired:
                    log.info("escalated %d breach(es), expired %d", done.breaches, done.expired)
                if reviews:
                    log.info("alerted %d overdue crisis review(s)", reviews)
            next_sweep = time.monotonic() + sweep_every
        seal_until_done(app)
        if once:
            break
        stop.wait(min(seal_every, max(0.0, next_sweep - time.monotonic())))
