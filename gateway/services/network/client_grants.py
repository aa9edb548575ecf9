"""Changing a registered client: its scopes, and a new shared secret (the old one stops)."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from gateway.models import AuthMethod, Client
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Conflict, NotFound
from gateway.services.network.clients import check_scope_names, check_scopes_of


def _active(session: Session, client_id: str) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound("No client with that id.")
    if not client.active:
        raise Conflict("The client is revoked.", rule="client_revoked")
    return client


def set_scopes(session: Session, actor: Actor, client_id: str, scopes: list[str]) -> Client:
    """Replace a client's scopes under the rules of registration; tokens it already holds keep
    their scopes until they expire."""
    client = _active(session, client_id)
    check_scope_names(scopes)
    check_scopes_of(client.institution, scopes, client.auth_method)
    before = list(client.allowed_scopes)
    client.allowed_scopes = sorted(set(scopes))
    session.flush()
    journal.record(session, actor, "client.scopes_changed", "client", client.client_id,
                   detail={"before": before, "after": client.allowed_scopes})
    return client


def rotate_secret(session: Session, actor: Actor, client_id: str) -> str:
    """A new shared secret for a client_secret_basic client (returned once, stored hashed);
    the old secret stops working at once, tokens already issued run out as usual."""
    client = _active(session, client_id)
    if client.auth_method is not AuthMethod.CLIENT_SECRET_BASIC:
        raise Conflict("Only a client_secret_basic client has a shared secret.",
                       rule="secret_basic_only")
    secret = secrets.token_urlsafe(32)
    client.secret_hash = generate_password_hash(secret)
    session.flush()
    journal.record(session, actor, "client.secret_rotated", "client", client.client_id)
    return secret
