"""What a transaction has already loaded for consent decisions, so a request decides once.

A referral create asks the same consent question for the create, the notice to the recipient
and the response; the facts behind it (institutions, consents, birth dates, partnerships,
break-glass releases) are loaded the first time and remembered in ``session.info``. Any change
to a row of those kinds in the session (pending, or flushed) forgets them, and so does the end
of the transaction, so a decision never rests on facts older than the transaction's own writes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from itertools import chain
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from gateway.models import BreakGlassRelease, Consent, Institution, Partnership, Subject

KEY = "gateway.consent.facts"
FACT_TYPES = (BreakGlassRelease, Consent, Institution, Partnership, Subject)

T = TypeVar("T")


def _touches_facts(session: Session) -> bool:
    return any(isinstance(row, FACT_TYPES)
               for row in chain(session.new, session.dirty, session.deleted))


def remembered(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s result for ``key``, loaded once per transaction while no fact changes."""
    if _touches_facts(session):  # unflushed changes: load (which autoflushes) afresh
        forget(session)
        return load()
    memo = session.info.setdefault(KEY, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def forget(session: Session) -> None:
    """Drop whatever the session remembers."""
    session.info.pop(KEY, None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    if _touches_facts(session):  # still the pre-flush lists here
        forget(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a flush or a savepoint
        forget(session)
