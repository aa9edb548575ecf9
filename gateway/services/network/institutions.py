"""Institutions: registration and lookup."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from gateway.models import Institution, InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import NotFound


def register(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: InstitutionKind,
    region: str,
    country: str,
) -> Institution:
    """Add an institution to the network."""
    institution = Institution(name=name, kind=kind, region=region, country=country.upper())
    session.add(institution)
    session.flush()
    journal.record(session, actor, "institution.registered", "institution", institution.id,
                   detail={"kind": kind.value, "region": region})
    return institution


def get_active(session: Session, institution_id: uuid.UUID,
               loaded: dict[uuid.UUID, Institution] | None = None) -> Institution:
    """An active institution (from ``loaded`` when there, see :func:`by_ids`), or
    :class:`NotFound`."""
    institution = (loaded or {}).get(institution_id) or session.get(Institution, institution_id)
    if institution is None or not institution.active:
        raise NotFound("No active institution with that id.")
    return institution


def by_ids(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Institution]:
    """The institutions with these ids (active or not): those the session already holds from
    its identity map, the others in one query."""
    found: dict[uuid.UUID, Institution] = {}
    for institution_id in ids:
        held = session.identity_map.get(identity_key(Institution, institution_id))
        if held is not None:
            found[institution_id] = held
    missing = ids - found.keys()
    if missing:
        found.update((i.id, i) for i in session.scalars(
            select(Institution).where(Institution.id.in_(missing))))
    return found


def list_all(session: Session) -> list[Institution]:
    """Every institution, by name."""
    return list(session.scalars(select(Institution).order_by(Institution.name)))


def search(session: Session, *, region: str | None = None, text: str | None = None
           ) -> list[Institution]:
    """Institutions, optionally of one region and matching ``text`` in name or region."""
    query = select(Institution).order_by(Institution.name)
    if region is not None:
        query = query.where(Institution.region == region)
    if text:
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(or_(Institution.name.ilike(pattern), Institution.region.ilike(pattern)))
    return list(session.scalars(query))


def update(session: Session, actor: Actor, institution_id: uuid.UUID, *, name: str,
           kind: InstitutionKind, region: str, country: str) -> Institution:
    """Change an institution's name, kind, region or country."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("No institution with that id.")
    institution.name, institution.kind = name, kind
    institution.region, institution.country = region, country.upper()
    session.flush()
    journal.record(session, actor, "institution.updated", "institution", institution.id,
                   detail={"kind": kind.value, "region": region})
    return institution


def deactivate(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    """Take an institution out of the network: its clients get no tokens, nothing reaches it."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("No institution with that id.")
    institution.active = False
    session.flush()
    journal.record(session, actor, "institution.deactivated", "institution", institution.id)
    return institution
