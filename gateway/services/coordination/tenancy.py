"""Region tenancy for coordinators: what a coordinator may see and change.

A ``coordinator`` is confined to the institutions of their region (and the partnerships,
clients and messages that touch them); an ``admin`` sees every region. Anything outside the
caller's region is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Client, Coordinator, Institution, OutboxMessage, Partnership
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.errors import NotFound
from gateway.services.network import clients, institutions, partnerships


def region_institution_ids(session: Session, coordinator: Coordinator) -> list[uuid.UUID] | None:
    """Ids of the institutions in the coordinator's region; None for an admin (all)."""
    if coordinator.scope_region is None:
        return None
    return list(session.scalars(select(Institution.id).where(
        Institution.region == coordinator.scope_region)))


def institution(session: Session, coordinator: Coordinator,
                institution_id: uuid.UUID) -> Institution:
    """An institution the coordinator manages, else :class:`NotFound`."""
    found = session.get(Institution, institution_id)
    region = coordinator.scope_region
    if found is None or (region is not None and found.region != region):
        raise NotFound("No institution with that id.")
    return found


def institution_list(session: Session, coordinator: Coordinator,
                     text: str | None = None) -> list[Institution]:
    """The institutions the coordinator manages, optionally matching ``text``."""
    return institutions.search(session, region=coordinator.scope_region, text=text)


def _touches(partnership: Partnership, ids: set[uuid.UUID] | None) -> bool:
    return ids is None or bool({partnership.institution_a_id, partnership.institution_b_id} & ids)


def partnership_list(session: Session, coordinator: Coordinator) -> list[Partnership]:
    """Partnerships with at least one party in the coordinator's region."""
    ids = region_institution_ids(session, coordinator)
    scope = None if ids is None else set(ids)
    return [p for p in partnerships.list_for(session) if _touches(p, scope)]


def partnership(session: Session, coordinator: Coordinator,
                partnership_id: uuid.UUID) -> Partnership:
    """A partnership the coordinator manages, else :class:`NotFound`."""
    found = session.get(Partnership, partnership_id)
    ids = region_institution_ids(session, coordinator)
    if found is None or not _touches(found, None if ids is None else set(ids)):
        raise NotFound("No partnership with that id.")
    return found


def client_list(session: Session, coordinator: Coordinator) -> list[Client]:
    """Clients of the coordinator's institutions (an admin also sees network clients)."""
    return clients.list_for(session, region_institution_ids(session, coordinator))


def client(session: Session, coordinator: Coordinator, client_id: str) -> Client:
    """A client the coordinator manages, else :class:`NotFound`."""
    found = session.get(Client, client_id)
    region = coordinator.scope_region
    if found is None or (region is not None and (
            found.institution is None or found.institution.region != region)):
        raise NotFound("No client with that id.")
    return found


def dead_letters(session: Session, coordinator: Coordinator) -> list[OutboxMessage]:
    """Dead-lettered messages addressed into the coordinator's region."""
    return outbox.dead_letters(session, coordinator.scope_region)


def replay(session: Session, coordinator: Coordinator, message_id: uuid.UUID) -> OutboxMessage:
    """Replay a dead letter of the coordinator's region."""
    if message_id not in {m.id for m in dead_letters(session, coordinator)}:
        raise NotFound("No dead-lettered message with that id.")
    return outbox.replay(session, Actor.coordinator(coordinator), message_id)
