"""Campuses of an institution, and where each campus's green channel goes by default."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Campus, InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, InvalidInput, NotFound
from gateway.services.network import institutions

GREEN_CHANNEL_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.COUNSELLING_AGENCY}


def _check_recipient(session: Session, recipient_id: uuid.UUID | None) -> None:
    if recipient_id is not None and \
            institutions.get_active(session, recipient_id).kind not in GREEN_CHANNEL_KINDS:
        raise InvalidInput("A campus's green channel goes to a hospital or counselling agency.",
                           rule="campus_channel")


def add(session: Session, actor: Actor, institution_id: uuid.UUID, *, name: str,
        district: str, region: str | None = None,
        green_channel_recipient_id: uuid.UUID | None = None) -> Campus:
    """Add a campus to an institution (its region by default)."""
    institution = institutions.get_active(session, institution_id)
    _check_recipient(session, green_channel_recipient_id)
    campus = Campus(institution_id=institution.id, name=name, district=district,
                    region=region or institution.region,
                    green_channel_recipient_id=green_channel_recipient_id)
    try:
        with session.begin_nested():
            session.add(campus)
            session.flush()
    except IntegrityError:
        raise Conflict("The institution already has a campus of that name.",
                       rule="campus_taken") from None
    journal.record(session, actor, "campus.added", "campus", campus.id,
                   detail={"institution_id": str(institution.id), "district": district})
    return campus


def set_green_channel(session: Session, actor: Actor, campus_id: uuid.UUID,
                      recipient_id: uuid.UUID | None) -> Campus:
    """Choose (or clear) the hospital a campus's green channel goes to by default."""
    campus = session.get(Campus, campus_id)
    if campus is None:
        raise NotFound("No campus with that id.")
    _check_recipient(session, recipient_id)
    campus.green_channel_recipient_id = recipient_id
    session.flush()
    journal.record(session, actor, "campus.green_channel_set", "campus", campus.id,
                   detail={"recipient_id": str(recipient_id) if recipient_id else None})
    return campus


def of_institution(session: Session, institution_id: uuid.UUID) -> list[Campus]:
    """The institution's campuses, by name."""
    return list(session.scalars(select(Campus).where(Campus.institution_id == institution_id)
                                .order_by(Campus.name)))


def require_own(session: Session, institution_id: uuid.UUID | None,
                campus_id: uuid.UUID | None) -> Campus | None:
    """The campus ``campus_id`` if it belongs to ``institution_id`` (None for no campus)."""
    if campus_id is None:
        return None
    campus = session.get(Campus, campus_id)
    if campus is None or campus.institution_id != institution_id:
        raise InvalidInput("The campus is not one of this institution's campuses.",
                           rule="campus_other")
    return campus
