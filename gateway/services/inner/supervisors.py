"""Supervisors: registration by their home institution, visibility to supervision partners."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Exchange, InstitutionKind, Qualification, Supervisor
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Forbidden, InvalidInput, NotFound
from gateway.services.network import institutions, partnerships


def own_institution(actor: Actor) -> uuid.UUID:
    """The actor's institution; clients without one may not take part in supervision."""
    if actor.institution_id is None:
        raise Forbidden("Only an institution's client may do this.")
    return actor.institution_id


def may_see(session: Session, viewer_id: uuid.UUID, host_id: uuid.UUID) -> bool:
    """The host's own clients, and partners whose active partnership covers supervision."""
    return viewer_id == host_id or partnerships.allows(session, viewer_id, host_id,
                                                       Exchange.SUPERVISION)


def register(session: Session, actor: Actor, *, display_name: str, qualification: Qualification,
             credential: str, time_zone: str) -> Supervisor:
    """Register a supervisor of the actor's institution; psychiatrists belong to a hospital."""
    home = institutions.get_active(session, own_institution(actor))
    if qualification is Qualification.PSYCHIATRIST and home.kind is not InstitutionKind.HOSPITAL:
        raise InvalidInput("A psychiatrist supervises from a hospital.")
    supervisor = Supervisor(institution_id=home.id, display_name=display_name,
                            qualification=qualification, credential=credential,
                            time_zone=time_zone, created_by=actor.client_id)
    session.add(supervisor)
    session.flush()
    journal.record(session, actor, "supervisor.registered", "supervisor", supervisor.id,
                   detail={"qualification": qualification.value})
    return supervisor


def get_visible(session: Session, actor: Actor, supervisor_id: uuid.UUID) -> Supervisor:
    """A supervisor the actor may see; any other is 'not found'."""
    supervisor = session.get(Supervisor, supervisor_id)
    if (supervisor is None or not supervisor.active
            or not may_see(session, own_institution(actor), supervisor.institution_id)):
        raise NotFound("No supervisor with that id.")
    return supervisor


def list_visible(session: Session, actor: Actor) -> list[Supervisor]:
    """Active supervisors of the actor's institution and of its supervision partners."""
    viewer = own_institution(actor)
    hosts = {viewer, *partnerships.partnerships_by_partner(session, viewer, Exchange.SUPERVISION)}
    return list(session.scalars(
        select(Supervisor).where(Supervisor.active.is_(True), Supervisor.institution_id.in_(hosts))
        .order_by(Supervisor.created_at, Supervisor.id)))
