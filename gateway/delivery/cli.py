"""``flask --app gateway deliver`` and ``flask --app gateway scheduler``: long-running workers."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.db import transaction
from gateway.delivery.worker import Worker
from gateway.models import utcnow
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import sla_sweep


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
    """Deliver outbox messages to partners (several workers may run at once)."""
    app = current_app._get_current_object()
    worker = Worker(app)
    stop = _stop_event()
    click.echo(f"delivery worker {worker.name} started")
    while not stop.is_set():
        claimed = worker.run_once()
        if once and not claimed:
            break
        if not claimed:
            stop.wait(float(app.config["DELIVERY_POLL_INTERVAL"]))


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one sweep, then exit.")
def scheduler_command(once: bool) -> None:
    """Escalate missed green-channel SLAs and expire unreceived referrals (safe on many hosts)."""
    app = current_app._get_current_object()
    stop = _stop_event()
    policy = Policy.from_config(app.config)
    while not stop.is_set():
        with transaction(app) as session:
            done = sla_sweep.sweep(session, utcnow(), policy=policy)
        if done.breaches or done.expired:
            click.echo(f"escalated {done.breaches} breach(es), expired {done.expired}")
        if once:
            break
        stop.wait(float(app.config["SCHEDULER_INTERVAL"]))
