"""Institutions: registration and lookup."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Institution, InstitutionKind
from gateway.services import audit
from gateway.services.actor import Actor
from gateway.services.errors import NotFound


def register(
    session: Session,
    actor: Actor | str,
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
    audit.record(session, actor, "institution.registered", "institution", institution.id,
                 detail={"kind": kind.value, "region": region})
    return institution


def get_active(session: Session, institution_id: uuid.UUID) -> Institution:
    """An active institution, or :class:`NotFound`."""
    institution = session.get(Institution, institution_id)
    if institution is None or not institution.active:
        raise NotFound("No active institution with that id.")
    return institution


def list_all(session: Session) -> list[Institution]:
    """Every institution, by name."""
    return list(session.scalars(select(Institution).order_by(Institution.name)))
