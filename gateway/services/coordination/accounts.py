"""Coordinator accounts: creation, sign-in (argon2 password + TOTP), lock-out and sign-out."""

from __future__ import annotations

import functools
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Coordinator, CoordinatorRole, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidInput, SignInFailed

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
TOTP_ISSUER = "Circulation gateway"
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both paths cost one argon2 run."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class NewCoordinator:
    """A created account with its TOTP secret and provisioning URI (shown once)."""

    coordinator: Coordinator
    totp_secret: str
    provisioning_uri: str


def create(session: Session, actor: Actor, *, email: str, password: str, role: CoordinatorRole,
           region: str | None) -> NewCoordinator:
    """Create a coordinator; a ``coordinator`` needs a region, an ``admin`` has all."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("email must be an e-mail address.", rule="email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters.",
                           rule="password")
    if role is CoordinatorRole.COORDINATOR and not region:
        raise InvalidInput("a coordinator needs a region.", rule="region")
    if session.scalar(select(Coordinator.id).where(Coordinator.email == email)) is not None:
        raise InvalidInput("a coordinator with that e-mail exists.", rule="email_taken")
    secret = pyotp.random_base32()
    coordinator = Coordinator(email=email, password_hash=_hasher.hash(password),
                              totp_secret=secret, role=role, region=region or None)
    session.add(coordinator)
    session.flush()
    journal.record(session, actor, "coordinator.created", "coordinator", coordinator.id,
                   detail={"role": role.value, "region": coordinator.region})
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)
    return NewCoordinator(coordinator, secret, uri)


def _totp_step(coordinator: Coordinator, code: str, now: float) -> int | None:
    """The time step ``code`` is valid for (±1 step of drift), if not used before."""
    totp = pyotp.TOTP(coordinator.totp_secret)
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > coordinator.totp_last_step and hmac.compare_digest(
                totp.at(step * totp.interval), code.strip()):
            return step
    return None


def _password_ok(coordinator: Coordinator | None, password: str) -> bool:
    try:
        return _hasher.verify(coordinator.password_hash if coordinator else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, *, email: str, password: str, code: str) -> Coordinator:
    """Check password and TOTP; count failures in the database and lock after too many.

    Raises :class:`SignInFailed` (the caller commits, so the failure count sticks).
    """
    coordinator = session.scalar(select(Coordinator).where(
        Coordinator.email == email.strip().lower()).with_for_update())
    password_ok = _password_ok(coordinator, password)
    if coordinator is None or not coordinator.active:
        journal.record(session, Actor.anonymous(), "coordinator.sign_in_failed", "coordinator",
                       None, detail={"reason": "unknown"})
        raise SignInFailed("E-mail, password or code is wrong.")
    now = utcnow()
    if coordinator.locked_until is not None and coordinator.locked_until > now:
        journal.record(session, Actor.coordinator(coordinator), "coordinator.sign_in_refused",
                       "coordinator", coordinator.id, detail={"reason": "locked"})
        raise SignInFailed("Too many failed attempts; the account is locked for a while.",
                           locked=True)
    step = _totp_step(coordinator, code, time.time()) if password_ok else None
    if step is None:
        coordinator.failed_attempts += 1
        locked = coordinator.failed_attempts >= MAX_FAILED_ATTEMPTS
        if locked:
            coordinator.locked_until = now + LOCKOUT
            coordinator.failed_attempts = 0
        journal.record(session, Actor.coordinator(coordinator), "coordinator.sign_in_failed",
                       "coordinator", coordinator.id, detail={"locked": locked})
        session.flush()
        raise SignInFailed("E-mail, password or code is wrong.", locked=locked)
    coordinator.totp_last_step = step
    coordinator.failed_attempts = 0
    coordinator.locked_until = None
    coordinator.last_sign_in_at = now
    if _hasher.check_needs_rehash(coordinator.password_hash):
        coordinator.password_hash = _hasher.hash(password)
    session.flush()
    journal.record(session, Actor.coordinator(coordinator), "coordinator.signed_in",
                   "coordinator", coordinator.id)
    return coordinator


def current(session: Session, coordinator_id: str, epoch: int) -> Coordinator | None:
    """The signed-in coordinator of a session cookie, unless signed out or deactivated since."""
    try:
        ident = uuid.UUID(coordinator_id)
    except (ValueError, TypeError):
        return None
    coordinator = session.get(Coordinator, ident)
    if coordinator is None or not coordinator.active or coordinator.session_epoch != epoch:
        return None
    return coordinator


def sign_out(session: Session, coordinator: Coordinator) -> None:
    """End every session of ``coordinator`` (the epoch in their cookies no longer matches)."""
    coordinator.session_epoch += 1
    session.flush()
    journal.record(session, Actor.coordinator(coordinator), "coordinator.signed_out",
                   "coordinator", coordinator.id)
