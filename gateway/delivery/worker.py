"""Deliver outbox messages: claim, render with the addressee's adapter, POST, retry or park.

Several workers may run on several hosts. A worker claims due rows with
``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock serialises instead) and
marks them with a lease (``claimed_by``/``claimed_until``) before committing, so the HTTP call
happens outside any transaction and no other worker touches the row while the lease holds; the
lease is renewed just before each POST and must outlast one POST (``DELIVERY_TIMEOUT``). A
worker killed mid-batch leaves leases that simply run out: the rows are claimed again and sent
again with the same idempotency key (at-least-once; receivers apply each key once).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import Flask
from sqlalchemy import or_, select

import adapters
from gateway.db import transaction
from gateway.models import OutboxMessage, OutboxStatus, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.network import endpoints

log = logging.getLogger(__name__)
DELIVERY = Actor.system("delivery")
RETRYABLE_4XX = {408, 425, 429}
_jitter = secrets.SystemRandom()


@dataclass(frozen=True)
class Settings:
    """Batch size, HTTP timeout, lease and retry policy (from ``DELIVERY_*`` config)."""

    batch: int
    timeout: float
    lease: float
    max_attempts: int
    backoff_base: float
    backoff_cap: float

    @classmethod
    def from_app(cls, app: Flask) -> Settings:
        """Read and check the settings; a lease must outlast one POST."""
        c = app.config
        settings = cls(int(c["DELIVERY_BATCH"]), float(c["DELIVERY_TIMEOUT"]),
                       float(c["DELIVERY_LEASE_SECONDS"]), int(c["DELIVERY_MAX_ATTEMPTS"]),
                       float(c["DELIVERY_BACKOFF_BASE"]), float(c["DELIVERY_BACKOFF_CAP"]))
        if settings.lease <= 2 * settings.timeout:
            raise ValueError("DELIVERY_LEASE_SECONDS must exceed twice DELIVERY_TIMEOUT")
        return settings

    def backoff(self, attempts: int) -> timedelta:
        """Exponential backoff with jitter: between half and all of base·2^(n-1), capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempts - 1))
        return timedelta(seconds=_jitter.uniform(ceiling / 2, ceiling))


@dataclass(frozen=True)
class Result:
    """What one delivery attempt came to."""

    status: OutboxStatus | None  # None: still pending (retry scheduled) or lease lost
    error: str | None = None


class Worker:
    """One delivery worker; ``clock`` is injectable for tests."""

    def __init__(self, app: Flask, *, name: str | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 http: requests.Session | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.http = http or requests.Session()
        self.settings = Settings.from_app(app)

    def claim(self) -> list[uuid.UUID]:
        """Lease up to ``batch`` due messages to this worker."""
        now = self.clock()
        with transaction(self.app) as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING,
                       OutboxMessage.next_attempt_at <= now,
                       or_(OutboxMessage.claimed_until.is_(None),
                           OutboxMessage.claimed_until < now))
                .order_by(OutboxMessage.next_attempt_at)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.claimed_by = self.name
                row.claimed_until = now + timedelta(seconds=self.settings.lease)
            return [row.id for row in rows]

    def _prepare(self, message_id: uuid.UUID) -> adapters.HttpRequest | Result:
        """Renew the lease and render the request, or settle a message that has no endpoint."""
        now = self.clock()
        with transaction(self.app) as session:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.claimed_by != self.name or \
                    message.status is not OutboxStatus.PENDING:
                return Result(None, "lease lost")
            message.claimed_until = now + timedelta(seconds=self.settings.lease)
            endpoint = endpoints.for_message(session, message)
            if endpoint is None:
                message.status, message.claimed_by, message.claimed_until = (
                    OutboxStatus.SKIPPED, None, None)
                return Result(OutboxStatus.SKIPPED)
            outbound = adapters.Outbound(message.topic, message.idempotency_key,
                                         json.loads(message.payload), message.created_at)
            try:
                adapter = adapters.adapter_for(endpoint.format)
                return adapter.render(outbound, adapters.Endpoint(endpoint.url, endpoint.secret),
                                      now)
            except Exception as exc:  # a message the adapter cannot render is parked, not retried
                error = f"render failed: {type(exc).__name__}"
                self._park(session, message, error)
                return Result(OutboxStatus.DEAD, error)

    @staticmethod
    def _park(session, message: OutboxMessage, error: str | None) -> None:
        message.status, message.last_error = OutboxStatus.DEAD, error
        message.claimed_by, message.claimed_until = None, None
        journal.record(session, DELIVERY, "outbox.dead_lettered", "outbox_message", message.id,
                       detail={"topic": message.topic, "error": error,
                               "attempts": message.attempts})

    def _post(self, request: adapters.HttpRequest) -> tuple[bool, bool, str | None]:
        """POST; returns (delivered, retryable, error) with no body or data in the error."""
        try:
            response = self.http.post(request.url, data=request.body, headers=request.headers,
                                      timeout=self.settings.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return False, True, type(exc).__name__
        if 200 <= response.status_code < 300:
            return True, False, None
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_4XX
        return False, retryable, f"HTTP {response.status_code}"

    def _settle(self, message_id: uuid.UUID, delivered: bool, retryable: bool,
                error: str | None) -> Result:
        now = self.clock()
        with transaction(self.app) as session:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.claimed_by != self.name:
                return Result(None, "lease lost")
            message.attempts += 1
            message.claimed_by, message.claimed_until = None, None
            if delivered:
                message.status, message.delivered_at, message.last_error = (
                    OutboxStatus.DELIVERED, now, None)
                journal.record(session, DELIVERY, "outbox.delivered", "outbox_message",
                               message.id, detail={"topic": message.topic,
                                                   "attempts": message.attempts})
                return Result(OutboxStatus.DELIVERED)
            message.last_error = error
            if not retryable or message.attempts >= self.settings.max_attempts:
                self._park(session, message, error)
                return Result(OutboxStatus.DEAD, error)
            message.next_attempt_at = now + self.settings.backoff(message.attempts)
            return Result(None, error)

    def deliver(self, message_id: uuid.UUID) -> Result:
        """One attempt at one claimed message."""
        prepared = self._prepare(message_id)
        if isinstance(prepared, Result):
            return prepared
        return self._settle(message_id, *self._post(prepared))

    def run_once(self) -> int:
        """Claim one batch and attempt each message; the number claimed."""
        claimed = self.claim()
        for message_id in claimed:
            result = self.deliver(message_id)
            if result.error:
                log.warning("delivery of %s: %s", message_id, result.error)
        return len(claimed)
