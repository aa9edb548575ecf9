"""Alert contacts: the e-mail addresses of an institution or a region that receive alerts."""

from __future__ import annotations

import uuid
from email.utils import parseaddr

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import Alert, AlertContact, Coordinator, Institution
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, InvalidInput, NotFound
from gateway.services.referrals import sla


def _address(text: str | None) -> str | None:
    """``text`` as a bare e-mail address, or None when it is not one."""
    _name, address = parseaddr((text or "").strip())
    local, at, domain = address.rpartition("@")
    return address if at and local and "." in domain and " " not in address else None


def add(session: Session, actor: Actor, *, email: str,
        institution_id: uuid.UUID | None = None, region: str | None = None) -> AlertContact:
    """Add an address for an institution's or a region's alerts (once per addressee)."""
    if (institution_id is None) == (region is None):
        raise InvalidInput("Give exactly one of institution or region.", rule="one_target")
    address = _address(email)
    if address is None:
        raise InvalidInput("Give an e-mail address such as duty@example.edu.cn.", rule="email")
    if institution_id is not None and session.get(Institution, institution_id) is None:
        raise NotFound("No institution with that id.")
    if address.lower() in {c.email.lower() for c in listed(session, institution_id=institution_id,
                                                            region=region)}:
        raise Conflict("That address is already a contact.", rule="contact_taken")
    contact = AlertContact(institution_id=institution_id, region=region, email=address,
                           created_by=actor.label)
    session.add(contact)
    session.flush()
    journal.record(session, actor, "alert.contact_added", "alert_contact", contact.id,
                   detail={"region": region,
                           "institution_id": str(institution_id) if institution_id else None})
    return contact


def remove(session: Session, actor: Actor, contact: AlertContact) -> None:
    """Remove a contact; audited."""
    journal.record(session, actor, "alert.contact_removed", "alert_contact", contact.id,
                   detail={"region": contact.region,
                           "institution_id": str(contact.institution_id)
                           if contact.institution_id else None})
    session.delete(contact)
    session.flush()


def listed(session: Session, *, institution_id: uuid.UUID | None = None,
           region: str | None = None) -> list[AlertContact]:
    """The contacts of one institution or region, oldest first."""
    condition = (AlertContact.institution_id == institution_id if institution_id is not None
                 else AlertContact.region == region)
    return list(session.scalars(select(AlertContact).where(condition)
                                .order_by(AlertContact.created_at, AlertContact.id)))


def in_region(session: Session, region: str | None) -> list[AlertContact]:
    """Every contact of a region and of its institutions (None: every region)."""
    query = select(AlertContact).outerjoin(
        Institution, Institution.id == AlertContact.institution_id)
    if region is not None:
        query = query.where(or_(AlertContact.region == region, Institution.region == region))
    return list(session.scalars(query.order_by(AlertContact.created_at, AlertContact.id)))


def recipients(session: Session, alert: Alert) -> list[str]:
    """Who is e-mailed an alert: the region's and the institution's contacts, and the
    institution's on-call contact when that is an e-mail address; each address once."""
    addresses = [c.email for c in listed(session, region=alert.region)]
    if alert.institution_id is not None:
        addresses += [c.email for c in listed(session, institution_id=alert.institution_id)]
        on_call = _address(sla.policy_for(session, alert.institution_id).on_call_contact)
        if on_call:
            addresses.append(on_call)
    unique: dict[str, str] = {}
    for address in addresses:
        unique.setdefault(address.lower(), address)
    return list(unique.values())


def _in_scope(session: Session, coordinator: Coordinator, contact: AlertContact) -> bool:
    region = coordinator.scope_region
    if region is None:
        return True
    if contact.region is not None:
        return contact.region == region
    found = session.get(Institution, contact.institution_id)
    return found is not None and found.region == region


def add_for(session: Session, coordinator: Coordinator, *, email: str,
            institution_id: uuid.UUID | None = None,
            region: str | None = None) -> AlertContact:
    """Add a contact for the coordinator's region or one of its institutions."""
    scope = coordinator.scope_region
    if scope is not None:
        if region is not None and region != scope:
            raise NotFound("No such region.")
        if institution_id is not None:
            found = session.get(Institution, institution_id)
            if found is None or found.region != scope:
                raise NotFound("No institution with that id.")
    return add(session, Actor.coordinator(coordinator), email=email, institution_id=institution_id,
               region=region)


def remove_for(session: Session, coordinator: Coordinator, contact_id: uuid.UUID) -> None:
    """Remove a contact of the coordinator's region; others are not found."""
    contact = session.get(AlertContact, contact_id)
    if contact is None or not _in_scope(session, coordinator, contact):
        raise NotFound("No alert contact with that id.")
    remove(session, Actor.coordinator(coordinator), contact)


def for_coordinator(session: Session, coordinator: Coordinator) -> list[AlertContact]:
    """The contacts the coordinator manages."""
    return in_region(session, coordinator.scope_region)
