"""Inbox triage: narrow a box by status, priority and deadline; order it newest first, most
urgent deadline first or by last update (keyset positions for each); count the matches per
priority."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Subquery, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from gateway.models import Priority, Referral, ReferralStatus
from gateway.models.base import UTCDateTime

# name -> (what is compared, descending?)
SORTS = {"newest": ("created", True), "deadline": ("deadline", False),
         "last_updated": ("updated", False), "-last_updated": ("updated", True)}


def narrow(query: Select, *, status: ReferralStatus | None = None,
           priorities: Iterable[Priority] | None = None,
           due_before: datetime | None = None) -> Select:
    """``query`` limited to a status, some priorities and deadlines before ``due_before``."""
    if status is not None:
        query = query.where(Referral.status == status)
    if priorities:
        query = query.where(Referral.priority.in_(list(priorities)))
    if due_before is not None:
        query = query.where(Referral.due_at < due_before)
    return query


@dataclass(frozen=True)
class Order:
    """One of :data:`SORTS`: newest first (created_at, id descending), most urgent deadline
    first (due_at, id ascending) or by last update (updated_at, id, either way)."""

    key: str
    descending: bool

    @classmethod
    def named(cls, sort: str) -> Order:
        """The order called ``sort`` (one of :data:`SORTS`)."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        return cls(*SORTS[sort])

    def _moment(self):
        if self.key == "deadline":
            return Referral.deadline_order
        return Referral.updated_at if self.key == "updated" else Referral.created_at

    def columns(self, page: Subquery | None = None) -> tuple:
        """ORDER BY columns; of ``page``, a subquery of referral columns under their names
        (``deadline_order`` among them), if given."""
        moment, ident = self._moment(), Referral.id
        if page is not None:
            moment, ident = page.c[moment.key], page.c.id
        if self.descending:
            return moment.desc(), ident.desc()
        return moment.asc(), ident.asc()

    def position(self, referral: Referral) -> tuple[datetime, uuid.UUID]:
        """Where ``referral`` sits in this order (what a cursor encodes)."""
        if self.key == "deadline":
            return referral.deadline_order, referral.id
        return (referral.updated_at if self.key == "updated" else referral.created_at), \
            referral.id

    def after(self, query: Select) -> Select:
        """``query`` limited to what follows the position bound as ``after_moment`` and
        ``after_id`` (:func:`after_position`): one row comparison, which an index on (box,
        order, id) bounds, so a deep page reads no more rows than the first."""
        here = tuple_(self._moment(), Referral.id)
        there = tuple_(bindparam("after_moment", type_=UTCDateTime()),
                       bindparam("after_id", type_=Referral.id.type))
        return query.where(here < there if self.descending else here > there)


def after_position(position: tuple[datetime, uuid.UUID]) -> dict[str, object]:
    """The parameters of :meth:`Order.after` for ``position``."""
    moment, ident = position
    return {"after_moment": moment, "after_id": ident}


def counts(session: Session, query: Select, params: dict[str, object]) -> dict[str, int]:
    """The rows of ``query`` (run with ``params``) per priority (every priority present, zero
    when none)."""
    matches = query.subquery()
    found = dict(session.execute(select(matches.c.priority, func.count())
                                 .group_by(matches.c.priority), params).all())
    return {p.value: found.get(p, 0) for p in Priority}
