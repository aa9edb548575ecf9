"""E-mail the alerts that no webhook delivered (none configured, or dead-lettered).

Runs in the delivery worker. An alert waits while its webhook notice is pending; once the
notice is delivered no e-mail is needed, and once it is skipped or dead-lettered the alert is
due by e-mail. Due alerts are leased like outbox rows (``FOR UPDATE SKIP LOCKED``), sent over
SMTP outside any transaction, and retried with backoff; an alert with no contact, no SMTP
server or too many failed attempts is marked failed, which the board shows in red.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import or_, select

from adapters import alert_mail
from gateway.db import transaction
from gateway.delivery.worker import Settings as DeliverySettings
from gateway.models import Alert, Institution, MailState, OutboxMessage, OutboxStatus, utcnow
from gateway.services.actor import Actor
from gateway.services.alerts import contacts
from gateway.services.audit import journal
from gateway.services.coordination import regions

log = logging.getLogger(__name__)
ACTOR = Actor.system("delivery")


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server and sender (``MAIL_*`` config); no server means no e-mail."""

    server: str | None
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str
    timeout: float
    max_attempts: int

    @classmethod
    def from_app(cls, app: Flask) -> MailSettings:
        """Read the ``MAIL_*`` settings."""
        c = app.config.get_namespace("MAIL_")
        return cls(c["server"] or None, int(c["port"]), c["username"], c["password"],
                   bool(c["use_starttls"]), c["sender"], float(c["timeout"]),
                   int(c["max_attempts"]))


class Mailer:
    """Sends alert e-mails; ``clock`` is injectable for tests."""

    def __init__(self, app: Flask, *, name: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:mail:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.settings = MailSettings.from_app(app)
        self.delivery = DeliverySettings.from_app(app)

    def promote(self) -> None:
        """Settle waiting alerts whose webhook notice is no longer pending."""
        with transaction(self.app) as session:
            rows = session.execute(
                select(Alert, OutboxMessage.status)
                .join(OutboxMessage, OutboxMessage.id == Alert.message_id)
                .where(Alert.mail_state == MailState.WAITING,
                       OutboxMessage.status != OutboxStatus.PENDING)
                .limit(self.delivery.batch)
                .with_for_update(skip_locked=True, of=Alert)).all()
            for alert, status in rows:
                alert.mail_state = (MailState.NOT_NEEDED if status is OutboxStatus.DELIVERED
                                    else MailState.DUE)
                alert.mail_next_attempt_at = self.clock()

    def claim(self) -> list[uuid.UUID]:
        """Lease up to a batch of alerts due by e-mail."""
        now = self.clock()
        with transaction(self.app) as session:
            rows = session.scalars(
                select(Alert)
                .where(Alert.mail_state == MailState.DUE, Alert.mail_next_attempt_at <= now,
                       or_(Alert.mail_claimed_until.is_(None), Alert.mail_claimed_until < now))
                .order_by(Alert.mail_next_attempt_at).limit(self.delivery.batch)
                .with_for_update(skip_locked=True)).all()
            for alert in rows:
                alert.mail_claimed_by = self.name
                alert.mail_claimed_until = now + timedelta(seconds=self.delivery.lease)
            return [alert.id for alert in rows]

    def _prepare(self, alert_id: uuid.UUID) -> EmailMessage | None:
        """Render the e-mail, or fail the alert when it cannot be sent at all."""
        with transaction(self.app) as session:
            alert = session.get(Alert, alert_id, with_for_update=True)
            if alert is None or alert.mail_claimed_by != self.name:
                return None
            recipients = contacts.recipients(session, alert)
            if not recipients or self.settings.server is None:
                self._fail(session, alert, "no alert contact" if not recipients
                           else "no SMTP server configured")
                return None
            institution = (session.get(Institution, alert.institution_id)
                           if alert.institution_id else None)
            mail = alert_mail.AlertMail(
                str(alert.id), alert.kind.value, institution.name if institution else None,
                alert.pseudonym, regions.local(self.app.config, alert.region, alert.created_at),
                f"{self.app.config['ISSUER']}/admin/alerts#alert-{alert.id}")
            return alert_mail.render(mail, sender=self.settings.sender, recipients=recipients)

    def _send(self, message: EmailMessage) -> str | None:
        """Send over SMTP; the error's class name on failure (never the addresses)."""
        s = self.settings
        try:
            with smtplib.SMTP(s.server, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            return type(exc).__name__
        return None

    def _fail(self, session, alert: Alert, error: str) -> None:
        alert.mail_state, alert.mail_error = MailState.FAILED, error
        alert.mail_claimed_by, alert.mail_claimed_until = None, None
        journal.record(session, ACTOR, "alert.undelivered", "alert", alert.id,
                       detail={"kind": alert.kind.value, "error": error,
                               "attempts": alert.mail_attempts})

    def _settle(self, alert_id: uuid.UUID, error: str | None) -> None:
        now = self.clock()
        with transaction(self.app) as session:
            alert = session.get(Alert, alert_id, with_for_update=True)
            if alert is None or alert.mail_claimed_by != self.name:
                return
            alert.mail_attempts += 1
            if error is None:
                alert.mail_state, alert.mail_sent_at, alert.mail_error = (
                    MailState.SENT, now, None)
                alert.mail_claimed_by, alert.mail_claimed_until = None, None
                journal.record(session, ACTOR, "alert.emailed", "alert", alert.id,
                               detail={"kind": alert.kind.value,
                                       "attempts": alert.mail_attempts})
            elif alert.mail_attempts >= self.settings.max_attempts:
                self._fail(session, alert, error)
            else:
                alert.mail_error = error
                alert.mail_claimed_by, alert.mail_claimed_until = None, None
                alert.mail_next_attempt_at = now + self.delivery.backoff(alert.mail_attempts)

    def run_once(self) -> int:
        """Settle waiting alerts, then send one batch of due e-mails; the number claimed."""
        self.promote()
        claimed = self.claim()
        for alert_id in claimed:
            message = self._prepare(alert_id)
            if message is None:
                continue
            error = self._send(message)
            if error:
                log.warning("alert e-mail %s: %s", alert_id, error)
            self._settle(alert_id, error)
        return len(claimed)
