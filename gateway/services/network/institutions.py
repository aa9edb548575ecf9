"""Institutions: registration and lookup."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from gateway.models import Institution, InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, NotFound


def register(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: InstitutionKind,
    region: str,
    country: str,
) -> Institution:
    """Add an institution to the network (a name already used in the region is refused)."""
    _refuse_duplicate(session, name, region)
    institution = Institution(name=name, kind=kind, region=region, country=country.upper())
    session.add(institution)
    session.flush()
    journal.record(session, actor, "institution.registered", "institution", institution.id,
                   detail={"kind": kind.value, "region": region})
    return institution


def _refuse_duplicate(session: Session, name: str, region: str,
                      institution_id: uuid.UUID | None = None) -> None:
    """No two institutions of a region share a name (compared without case or outer spaces)."""
    query = select(Institution.id).where(Institution.region == region,
                                         func.lower(Institution.name) == name.strip().lower())
    if institution_id is not None:
        query = query.where(Institution.id != institution_id)
    if session.scalars(query).first() is not None:
        raise Conflict("An institution of that name is already registered in the region.",
                       rule="institution_taken")


def get_active(session: Session, institution_id: uuid.UUID) -> Institution:
    """An active institution, or :class:`NotFound`."""
    institution = session.get(Institution, institution_id)
    if institution is None or not institution.active:
        raise NotFound("No active institution with that id.")
    return institution


def get_active_many(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Institution]:
    """:func:`get_active` of each id, those the session does not hold in one query."""
    found = by_ids(session, ids)
    if len(found) < len(ids) or not all(i.active for i in found.values()):
        raise NotFound("No active institution with that id.")
    return found


# built once: every consent decision that misses an institution in the identity map asks it
BY_IDS = select(Institution).where(Institution.id.in_(bindparam("ids", expanding=True)))


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
        found.update((i.id, i) for i in session.scalars(BY_IDS, {"ids": list(missing)}))
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
    _refuse_duplicate(session, name, region, institution.id)
    institution.name, institution.kind = name, kind
    institution.region, institution.country = region, country.upper()
    session.flush()
    journal.record(session, actor, "institution.updated", "institution", institution.id,
                   detail={"kind": kind.value, "region": region})
    return institution


def set_staff_counts(session: Session, actor: Actor, institution_id: uuid.UUID, *,
                     students: int | None, counsellors: int | None) -> Institution:
    """Record how many students and counsellors an institution has (None: not recorded)."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("No institution with that id.")
    if (institution.student_count, institution.counsellor_count) == (students, counsellors):
        return institution
    institution.student_count, institution.counsellor_count = students, counsellors
    session.flush()
    journal.record(session, actor, "institution.staff_counts_set", "institution", institution.id,
                   detail={"students": students, "counsellors": counsellors})
    return institution


def deactivate(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    """Take an institution out of the network: its clients get no tokens, nothing reaches it."""
    return _set_active(session, actor, institution_id, False, "institution.deactivated")


def reactivate(session: Session, actor: Actor, institution_id: uuid.UUID) -> Institution:
    """Bring a deactivated institution back into the network (its clients stay as they are)."""
    return _set_active(session, actor, institution_id, True, "institution.reactivated")


def _set_active(session: Session, actor: Actor, institution_id: uuid.UUID, active: bool,
                action: str) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("No institution with that id.")
    institution.active = active
    session.flush()
    journal.record(session, actor, action, "institution", institution.id)
    return institution
