"""The partner directory: the institutions a partner may refer to, with what they offer, when
their on-call line is staffed, who is on call and their green-channel SLA."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    DirectoryEntry,
    Exchange,
    Institution,
    InstitutionKind,
    Service,
    SlaPolicy,
)
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Forbidden, NotFound
from gateway.services.network import institutions, partnerships
from gateway.services.referrals import sla


@dataclass(frozen=True)
class Listing:
    """One institution as the directory shows it to a partner."""

    institution: Institution
    partnership_ids: list[uuid.UUID]
    services: list[str]
    on_call_hours: str | None
    sla: SlaPolicy  # receipt and decision minutes, on-call contact


def set_entry(session: Session, actor: Actor, institution_id: uuid.UUID, *,
              services: list[Service], on_call_hours: str | None) -> DirectoryEntry:
    """Create or replace an institution's directory entry; audited."""
    institutions.get_active(session, institution_id)
    entry = session.get(DirectoryEntry, institution_id) or DirectoryEntry(
        institution_id=institution_id)
    entry.services = sorted({s.value for s in services})
    entry.on_call_hours = on_call_hours
    entry.updated_by = actor.label
    session.add(entry)
    session.flush()
    journal.record(session, actor, "directory.entry_set", "institution", institution_id,
                   detail={"services": entry.services})
    return entry


def for_partner(session: Session, actor: Actor, *, kind: InstitutionKind | None = None,
                service: Service | None = None,
                institution_id: uuid.UUID | None = None) -> list[Listing]:
    """Institutions the actor's institution may refer to now (an active partnership allows
    ``referral``), by name; optionally of one kind, offering one service, or just one."""
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may read the directory.")
    reach = partnerships.partnerships_by_partner(session, actor.institution_id,
                                                 Exchange.REFERRAL)
    if not reach:
        return []
    query = select(Institution).where(Institution.id.in_(list(reach)),
                                      Institution.active.is_(True))
    if kind is not None:
        query = query.where(Institution.kind == kind)
    if institution_id is not None:
        query = query.where(Institution.id == institution_id)
    found = list(session.scalars(query.order_by(Institution.name, Institution.id)))
    entries = {e.institution_id: e for e in session.scalars(select(DirectoryEntry).where(
        DirectoryEntry.institution_id.in_([i.id for i in found])))} if found else {}
    listings = []
    for institution in found:
        entry = entries.get(institution.id)
        offered = list(entry.services) if entry else []
        if service is not None and service.value not in offered:
            continue
        listings.append(Listing(institution, sorted(reach[institution.id]), offered,
                                entry.on_call_hours if entry else None,
                                sla.policy_for(session, institution.id)))
    return listings


def listing(session: Session, actor: Actor, institution_id: uuid.UUID) -> Listing:
    """One institution the actor may refer to now; any other is :class:`NotFound`, so the
    directory reveals no one outside the caller's active referral partnerships."""
    found = for_partner(session, actor, institution_id=institution_id)
    if not found:
        raise NotFound("No directory entry with that id.")
    return found[0]
