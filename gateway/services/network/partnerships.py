"""Partnerships: no active partnership covering an exchange, no exchange."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from gateway.models import Exchange, Institution, Partnership, PartnershipStatus, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from gateway.services.network import institutions

NEXT_STATUSES = {
    PartnershipStatus.PROPOSED: {PartnershipStatus.ACTIVE, PartnershipStatus.ENDED},
    PartnershipStatus.ACTIVE: {PartnershipStatus.SUSPENDED, PartnershipStatus.ENDED},
    PartnershipStatus.SUSPENDED: {PartnershipStatus.ACTIVE, PartnershipStatus.ENDED},
}


def ordered(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A pair of institutions in the order a partnership stores them (``a`` < ``b``)."""
    return (a, b) if str(a) < str(b) else (b, a)


def propose(
    session: Session,
    actor: Actor,
    *,
    institution_ids: tuple[uuid.UUID, uuid.UUID],
    exchanges: list[Exchange],
    valid_from: datetime,
    valid_until: datetime,
) -> Partnership:
    """Record a proposed partnership; it allows nothing until approved."""
    first, second = institution_ids
    if first == second:
        raise InvalidInput("A partnership needs two different institutions.",
                           rule="partnership_pair")
    if valid_until <= valid_from:
        raise InvalidInput("valid_until must be after valid_from.", rule="dates")
    if not exchanges:
        raise InvalidInput("A partnership allows at least one exchange.",
                           rule="partnership_exchanges")
    for institution_id in institution_ids:
        institutions.get_active(session, institution_id)
    a, b = ordered(first, second)
    partnership = Partnership(
        institution_a_id=a, institution_b_id=b, exchanges=sorted({e.value for e in exchanges}),
        status=PartnershipStatus.PROPOSED, valid_from=valid_from, valid_until=valid_until,
        proposed_by=actor.label,
    )
    session.add(partnership)
    session.flush()
    journal.record(session, actor, "partnership.proposed", "partnership", partnership.id,
                   detail={"exchanges": partnership.exchanges})
    return partnership


def change_status(session: Session, actor: Actor, partnership_id: uuid.UUID,
                  status: PartnershipStatus) -> Partnership:
    """Approve (``active``), suspend, resume or end a partnership; effective at once."""
    partnership = session.get(Partnership, partnership_id, with_for_update=True)
    if partnership is None:
        raise NotFound("No partnership with that id.")
    if status not in NEXT_STATUSES.get(partnership.status, set()):
        raise InvalidTransition(
            f"A partnership cannot go from '{partnership.status.value}' to '{status.value}'.",
            rule="partnership_status")
    partnership.status = status
    if status is PartnershipStatus.ACTIVE and partnership.approved_at is None:
        partnership.approved_at = utcnow()
    session.flush()
    journal.record(session, actor, f"partnership.{status.value}", "partnership", partnership.id)
    return partnership


def approve(session: Session, actor: Actor, partnership_id: uuid.UUID, *,
            four_eyes: bool) -> Partnership:
    """Activate a proposed partnership; with ``four_eyes`` its proposer may not approve it."""
    partnership = session.get(Partnership, partnership_id)
    if (four_eyes and partnership is not None and partnership.approved_at is None
            and partnership.proposed_by == actor.label):
        raise Forbidden("Another coordinator must approve a partnership you proposed.",
                        rule="four_eyes")
    return change_status(session, actor, partnership_id, PartnershipStatus.ACTIVE)


def list_for(session: Session, institution_id: uuid.UUID | None = None) -> list[Partnership]:
    """Partnerships, all or those of one institution."""
    query = select(Partnership).order_by(Partnership.created_at)
    if institution_id is not None:
        query = query.where(or_(Partnership.institution_a_id == institution_id,
                                Partnership.institution_b_id == institution_id))
    return list(session.scalars(query))


# built once (not per call): the active partnerships whose first and second institutions are
# among those given; the caller keeps the pairs it asked about
ACTIVE_BETWEEN = select(Partnership).where(
    Partnership.institution_a_id.in_(bindparam("firsts", expanding=True)),
    Partnership.institution_b_id.in_(bindparam("seconds", expanding=True)),
    Partnership.status == PartnershipStatus.ACTIVE)


def active_between(session: Session, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
                   ) -> dict[tuple[uuid.UUID, uuid.UUID], list[Partnership]]:
    """The active partnerships of each pair of institutions, in one query (keyed as ordered)."""
    wanted = {ordered(a, b) for a, b in pairs}
    found: dict[tuple[uuid.UUID, uuid.UUID], list[Partnership]] = {pair: [] for pair in wanted}
    if not wanted:
        return found
    rows = session.scalars(ACTIVE_BETWEEN, {"firsts": list({a for a, _ in wanted}),
                                            "seconds": list({b for _, b in wanted})})
    for partnership in rows:
        pair = (partnership.institution_a_id, partnership.institution_b_id)
        if pair in found:
            found[pair].append(partnership)
    return found


def covers(active: dict[tuple[uuid.UUID, uuid.UUID], list[Partnership]], first: uuid.UUID,
           second: uuid.UUID, exchange: Exchange, moment: datetime) -> bool:
    """Whether one of the pair's partnerships (from :func:`active_between`) allows ``exchange``."""
    return any(p.allows(exchange, moment) for p in active.get(ordered(first, second), ()))


def allows(session: Session, first: uuid.UUID, second: uuid.UUID, exchange: Exchange) -> bool:
    """Whether an active partnership between the two covers ``exchange`` now."""
    return covers(active_between(session, [(first, second)]), first, second, exchange, utcnow())


def _no_partnership(exchange: Exchange) -> Forbidden:
    return Forbidden(f"No active partnership allows '{exchange.value}' between these "
                     "institutions.", missing_partnership={"exchange": exchange.value})


def require(session: Session, first: uuid.UUID, second: uuid.UUID, exchange: Exchange) -> None:
    """Raise :class:`Forbidden` unless :func:`allows`."""
    if not allows(session, first, second, exchange):
        raise _no_partnership(exchange)


@dataclass(frozen=True)
class Pair:
    """Two institutions (those that exist) and the active partnerships between them.

    Holding the institutions keeps them in the session's (weak) identity map, so
    ``institutions.get_active`` finds them there without a query.
    """

    institutions: dict[uuid.UUID, Institution]
    active: list[Partnership]

    def require(self, exchange: Exchange) -> None:
        """Raise :class:`Forbidden` unless one of the pair's partnerships allows ``exchange``."""
        moment = utcnow()
        if not any(p.allows(exchange, moment) for p in self.active):
            raise _no_partnership(exchange)


# built once (a referral create asks it): both institutions, each joined to every active
# partnership of the (ordered) pair
PAIR_PARTNERSHIPS = and_(
    Partnership.institution_a_id == bindparam("a"), Partnership.institution_b_id == bindparam("b"),
    Partnership.status == PartnershipStatus.ACTIVE)
PAIR_INSTITUTIONS = Institution.id.in_([bindparam("a"), bindparam("b")])
PAIR = select(Institution, Partnership).outerjoin(Partnership, PAIR_PARTNERSHIPS).where(
    PAIR_INSTITUTIONS)


def pair(session: Session, first: uuid.UUID, second: uuid.UUID) -> Pair:
    """Both institutions and their active partnerships in one query (an outer join: one row
    per institution and partnership, an institution alone when there is none)."""
    a, b = ordered(first, second)
    rows = session.execute(PAIR, {"a": a, "b": b})
    found: dict[uuid.UUID, Institution] = {}
    active: dict[uuid.UUID, Partnership] = {}
    for institution, partnership in rows:
        found[institution.id] = institution
        if partnership is not None:
            active[partnership.id] = partnership
    return Pair(found, list(active.values()))


def partnerships_by_partner(session: Session, institution_id: uuid.UUID,
                            exchange: Exchange) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Partner institution id → ids of the partnerships with it that allow ``exchange`` now."""
    now = utcnow()
    rows = session.scalars(select(Partnership).where(
        or_(Partnership.institution_a_id == institution_id,
            Partnership.institution_b_id == institution_id),
        Partnership.status == PartnershipStatus.ACTIVE))
    reach: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for partnership in rows:
        if partnership.allows(exchange, now):
            other = (partnership.institution_b_id if partnership.institution_a_id == institution_id
                     else partnership.institution_a_id)
            reach[other].append(partnership.id)
    return dict(reach)


def known_institution(session: Session, viewer_id: uuid.UUID | None,
                      institution_id: uuid.UUID) -> Institution:
    """An institution as a partner may see it: itself or one it has a partnership with.

    Any other is :class:`NotFound`, so the directory reveals no one outside the caller's
    partnerships.
    """
    institution = session.get(Institution, institution_id)
    if institution is None or viewer_id is None:
        raise NotFound("No institution with that id.")
    if institution_id != viewer_id and not any(
            institution_id in (p.institution_a_id, p.institution_b_id)
            for p in list_for(session, viewer_id)):
        raise NotFound("No institution with that id.")
    return institution
