"""The deny state a resource server checks tokens against, re-read at most once a second.

An access token is the gateway's own signed claims (client, institution, scopes), trusted for
its <= 300 s life without a database round trip per request. What can end it early — a token
revoked (RFC 7009), a client revoked or deactivated, its institution deactivated — is read as a
whole (:func:`gateway.services.network.denylist.load`) when the copy this process holds is older
than ``TOKEN_REVOCATION_POLL_SECONDS`` (1 s): a revocation takes effect within that time on every
worker of every host. A commit in this process that changes a revoked token, a client or an
institution drops the copy at once, so the process that revoked refuses the token immediately.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from gateway.db import db_session
from gateway.models import Client, Institution, RevokedToken
from gateway.services.network import denylist

EXTENSION_KEY = "gateway.revocations"
CHANGES = (Client, Institution, RevokedToken)
_FLAG = "gateway.revocations.changed"
_generation = itertools.count(1)
_current_generation = 0  # bumped by every local commit that changed the deny state


@dataclass(frozen=True)
class _Copy:
    state: denylist.DenyState
    read_at: float
    generation: int


_lock = threading.Lock()


def current_state() -> denylist.DenyState:
    """The deny state, read afresh when this process's copy is over the poll interval old."""
    extensions = current_app.extensions
    copy: _Copy | None = extensions.get(EXTENSION_KEY)
    now = time.monotonic()
    if copy is None or not fresh(copy.read_at, copy.generation, now):
        generation = _current_generation
        copy = _Copy(denylist.load(db_session()), now, generation)
        extensions[EXTENSION_KEY] = copy
    return copy.state


def fresh(read_at: float, generation: int, now: float) -> bool:
    """Whether a copy read at ``read_at`` (monotonic) under ``generation`` may still be used:
    younger than the poll interval and made since this process's last relevant commit."""
    return (now - read_at < current_app.config["TOKEN_REVOCATION_POLL_SECONDS"]
            and generation == _current_generation)


def local_changes() -> int:
    """A number that changes with every commit in this process that changed a client, an
    institution or a revoked token: a copy made under another number is out of date."""
    return _current_generation


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: object) -> None:
    if any(isinstance(row, CHANGES) for row in itertools.chain(session.new, session.deleted)) \
            or any(isinstance(row, CHANGES) and session.is_modified(row) for row in session.dirty):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in CHANGES:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _drop_copies(session: Session) -> None:
    global _current_generation
    if session.info.pop(_FLAG, False):
        with _lock:
            _current_generation = next(_generation)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_FLAG, None)
