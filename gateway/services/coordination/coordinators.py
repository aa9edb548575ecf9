"""Coordinators managed by an admin: add, change role or region, deactivate, reset TOTP.

Only an admin may; an admin cannot deactivate or demote themselves (the network would be left
without the one who noticed). Each change ends the person's sessions and is audited.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Coordinator, CoordinatorRole
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.coordination import accounts
from gateway.services.errors import Conflict, Forbidden, InvalidInput, NotFound


@dataclass(frozen=True)
class Credentials:
    """What a person needs to sign in for the first time (shown once, to the admin)."""

    coordinator: Coordinator
    password: str | None
    totp_secret: str
    provisioning_uri: str


def _admin(by: Coordinator) -> None:
    if by.role is not CoordinatorRole.ADMIN:
        raise Forbidden("Only an admin manages coordinators.", rule="admin_only")


def _other(session: Session, by: Coordinator, coordinator_id: uuid.UUID) -> Coordinator:
    _admin(by)
    found = session.get(Coordinator, coordinator_id)
    if found is None:
        raise NotFound("No coordinator with that id.")
    return found


def list_all(session: Session, by: Coordinator) -> list[Coordinator]:
    """Every coordinator, by e-mail."""
    _admin(by)
    return list(session.scalars(select(Coordinator).order_by(Coordinator.email)))


def add(session: Session, by: Coordinator, *, email: str, role: CoordinatorRole,
        region: str | None) -> Credentials:
    """Create an account with a generated password and a TOTP secret, both shown once."""
    _admin(by)
    password = secrets.token_urlsafe(15)
    created = accounts.create(session, Actor.coordinator(by), email=email,
                              password=password, role=role, region=region)
    return Credentials(created.coordinator, password, created.totp_secret,
                       created.provisioning_uri)


def change_role(session: Session, by: Coordinator, coordinator_id: uuid.UUID, *,
                role: CoordinatorRole, region: str | None) -> Coordinator:
    """Set role and region (a coordinator needs a region); their sessions end."""
    found = _other(session, by, coordinator_id)
    if found.id == by.id and role is not CoordinatorRole.ADMIN:
        raise Conflict("An admin cannot demote themselves.", rule="self")
    if role is CoordinatorRole.COORDINATOR and not region:
        raise InvalidInput("a coordinator needs a region.", rule="region")
    before = {"role": found.role.value, "region": found.region}
    found.role, found.region = role, region or None
    found.session_epoch += 1
    session.flush()
    journal.record(session, Actor.coordinator(by), "coordinator.role_changed", "coordinator",
                   found.id, detail={"before": before,
                                     "after": {"role": role.value, "region": found.region}})
    return found


def set_active(session: Session, by: Coordinator, coordinator_id: uuid.UUID,
               active: bool) -> Coordinator:
    """Deactivate (sessions end, sign-in refused) or reactivate an account."""
    found = _other(session, by, coordinator_id)
    if found.id == by.id:
        raise Conflict("An admin cannot deactivate themselves.", rule="self")
    if found.active == active:
        raise Conflict("The account is already so.", rule="unchanged")
    found.active = active
    found.session_epoch += 1
    if active:
        found.failed_attempts, found.locked_until = 0, None
    session.flush()
    action = "coordinator.reactivated" if active else "coordinator.deactivated"
    journal.record(session, Actor.coordinator(by), action, "coordinator", found.id)
    return found


def reset_totp(session: Session, by: Coordinator, coordinator_id: uuid.UUID) -> Credentials:
    """A new TOTP secret (the old authenticator entry stops working, sessions end)."""
    found = _other(session, by, coordinator_id)
    secret = pyotp.random_base32()
    found.totp_secret, found.totp_last_step = secret, 0
    found.session_epoch += 1
    session.flush()
    journal.record(session, Actor.coordinator(by), "coordinator.totp_reset", "coordinator",
                   found.id)
    uri = pyotp.TOTP(secret).provisioning_uri(name=found.email, issuer_name=accounts.TOTP_ISSUER)
    return Credentials(found, None, secret, uri)
