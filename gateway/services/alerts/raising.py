"""Raise an alert in the caller's transaction: an outbox notice plus a row that tracks it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.models import Alert, AlertKind, utcnow
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.audit import journal

TOPICS = {
    AlertKind.BREAKGLASS_RELEASED: "breakglass.released",
    AlertKind.SLA_BREACHED: "referral.sla_breached",
    AlertKind.CRISIS_REVIEW_OVERDUE: "case.review_overdue",
    AlertKind.HANDED_BACK: "referral.handed_back",
}


def raise_alert(session: Session, actor: Actor, *, kind: AlertKind, region: str,
                cause_type: str, cause_id: uuid.UUID, notice: dict,
                institution_id: uuid.UUID | None = None,
                pseudonym: str | None = None, at: datetime | None = None) -> Alert:
    """Queue ``notice`` to the region's coordinators and track it until someone acknowledges.

    ``notice`` is the webhook payload (no personal data; it gains the alert's id). If no
    webhook is configured, or it fails past its retries, the delivery worker e-mails the
    region's and the institution's alert contacts instead. ``at`` is when it was raised
    (default: now; a sweep passes the moment it swept at).
    """
    alert_id = uuid.uuid4()
    message = outbox.enqueue(session, TOPICS[kind], {**notice, "alert_id": str(alert_id)},
                             region=region)
    alert = Alert(id=alert_id, kind=kind, region=region, institution_id=institution_id,
                  pseudonym=pseudonym, cause_type=cause_type, cause_id=cause_id,
                  message_id=message.id, created_at=at or utcnow())
    session.add(alert)
    session.flush()
    journal.record(session, actor, "alert.raised", "alert", alert.id,
                   detail={"kind": kind.value, "region": region, "cause_type": cause_type,
                           "cause_id": str(cause_id)})
    return alert
