"""Delivery endpoints: which adapter format, URL and signing secret an addressee has."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import adapters
from adapters.webhook import new_secret
from gateway import net
from gateway.models import DeliveryEndpoint, OutboxMessage
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidInput
from gateway.services.network import institutions


@dataclass(frozen=True)
class Configured:
    """An endpoint and its new signing secret (shown once, stored encrypted)."""

    endpoint: DeliveryEndpoint
    secret: str


def configure(session: Session, actor: Actor, *, format_name: str, url: str,
              institution_id: uuid.UUID | None = None,
              region: str | None = None, policy: net.OutboundPolicy) -> Configured:
    """Set (or replace) the push endpoint of an institution or a region's coordinators; the URL
    must pass the outbound-HTTP guard now (it is checked again at every delivery)."""
    if (institution_id is None) == (region is None):
        raise InvalidInput("Give exactly one of institution or region.", rule="one_target")
    if format_name not in adapters.formats():
        raise InvalidInput("Unknown delivery format.", formats=sorted(adapters.formats()),
                           rule="delivery_format")
    try:
        net.check_url(url, policy)
    except net.OutboundRefused as exc:
        raise InvalidInput(f"The endpoint URL {exc}.", field="url", rule="endpoint_url") from None
    if institution_id is not None:
        institutions.get_active(session, institution_id)
        query = select(DeliveryEndpoint).where(DeliveryEndpoint.institution_id == institution_id)
    else:
        query = select(DeliveryEndpoint).where(DeliveryEndpoint.region == region)
    endpoint = session.scalar(query.with_for_update()) or DeliveryEndpoint(
        institution_id=institution_id, region=region)
    secret = new_secret()
    endpoint.format, endpoint.url, endpoint.secret = format_name, url, secret
    session.add(endpoint)
    session.flush()
    journal.record(session, actor, "delivery.endpoint_set", "delivery_endpoint", endpoint.id,
                   detail={"format": format_name, "region": region,
                           "institution_id": str(institution_id) if institution_id else None})
    return Configured(endpoint, secret)


def for_message(session: Session, message: OutboxMessage) -> DeliveryEndpoint | None:
    """Where ``message`` is pushed, or None when its addressee has no push endpoint."""
    if message.recipient_institution_id is not None:
        condition = DeliveryEndpoint.institution_id == message.recipient_institution_id
    else:
        condition = DeliveryEndpoint.region == message.recipient_region
    return session.scalar(select(DeliveryEndpoint).where(condition))


def for_institution(session: Session, institution_id: uuid.UUID) -> DeliveryEndpoint | None:
    """The institution's push endpoint, if it has one."""
    return session.scalar(select(DeliveryEndpoint).where(
        DeliveryEndpoint.institution_id == institution_id))


def for_region(session: Session, region: str) -> DeliveryEndpoint | None:
    """Where the region's coordinators receive escalations, if set."""
    return session.scalar(select(DeliveryEndpoint).where(DeliveryEndpoint.region == region))
