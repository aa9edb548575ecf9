"""The coordinators' alert list: open alerts of a region, how each was delivered, acknowledging.

An alert is listed until a coordinator acknowledges it; one that neither the webhook nor an
e-mail delivered is ``undelivered`` (the board shows those in red).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    Alert,
    AlertKind,
    Coordinator,
    MailState,
    OutboxMessage,
    OutboxStatus,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidTransition, NotFound


class Delivery(enum.StrEnum):
    """How far an alert got."""

    PENDING = "pending"
    WEBHOOK = "webhook"
    EMAIL = "email"
    UNDELIVERED = "undelivered"


@dataclass(frozen=True)
class AlertItem:
    """One alert as the admin UI shows it (no personal data)."""

    id: uuid.UUID
    kind: AlertKind
    region: str
    institution_id: uuid.UUID | None
    pseudonym: str | None
    raised_at: datetime
    delivery: Delivery
    error: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None


def delivery_of(alert: Alert, message_status: OutboxStatus) -> Delivery:
    """Which channel delivered ``alert``, or that none did (yet)."""
    if message_status is OutboxStatus.DELIVERED:
        return Delivery.WEBHOOK
    if alert.mail_state is MailState.SENT:
        return Delivery.EMAIL
    if alert.mail_state is MailState.FAILED:
        return Delivery.UNDELIVERED
    return Delivery.PENDING


def _items(session: Session, query) -> list[AlertItem]:
    rows = session.execute(query.join(OutboxMessage, OutboxMessage.id == Alert.message_id)
                           .add_columns(OutboxMessage.status))
    return [AlertItem(a.id, a.kind, a.region, a.institution_id, a.pseudonym, a.created_at,
                      delivery_of(a, status), a.mail_error, a.acknowledged_at,
                      a.acknowledged_by) for a, status in rows]


def _scoped(coordinator: Coordinator):
    query = select(Alert)
    if coordinator.scope_region is not None:
        query = query.where(Alert.region == coordinator.scope_region)
    return query


def open_alerts(session: Session, coordinator: Coordinator) -> list[AlertItem]:
    """Unacknowledged alerts of the coordinator's region, newest first."""
    return _items(session, _scoped(coordinator).where(Alert.acknowledged_at.is_(None))
                  .order_by(Alert.created_at.desc(), Alert.id))


def acknowledged(session: Session, coordinator: Coordinator, limit: int = 20) -> list[AlertItem]:
    """The most recently acknowledged alerts of the coordinator's region."""
    return _items(session, _scoped(coordinator).where(Alert.acknowledged_at.is_not(None))
                  .order_by(Alert.acknowledged_at.desc(), Alert.id).limit(limit))


def acknowledge(session: Session, coordinator: Coordinator, alert_id: uuid.UUID,
                moment: datetime | None = None) -> Alert:
    """Record that a coordinator has seen the alert; audited. Other regions' alerts: not found."""
    alert = session.get(Alert, alert_id, with_for_update=True)
    region = coordinator.scope_region
    if alert is None or (region is not None and alert.region != region):
        raise NotFound("No alert with that id.")
    if alert.acknowledged_at is not None:
        raise InvalidTransition("This alert has already been acknowledged.",
                                rule="acknowledged")
    alert.acknowledged_at = moment or utcnow()
    alert.acknowledged_by = coordinator.label
    session.flush()
    journal.record(session, Actor.coordinator(coordinator), "alert.acknowledged", "alert", alert.id,
                   detail={"kind": alert.kind.value, "region": alert.region})
    return alert
