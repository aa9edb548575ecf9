"""Onward referral: the recipient of a referral refers the student on (FHIR ``POST Task``
with ``partOf``, or ``POST /api/v1/referrals/{id}/onward``), under its own consent for the new
recipient, partnership and the same rules as any referral; the chain below a referral is shown
to its sender and recipient without personal data."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import bindparam, literal, select
from sqlalchemy.orm import Session

from gateway.models import Referral, ReferralStatus
from gateway.services.actor import Actor
from gateway.services.errors import Forbidden, InvalidTransition
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, intake
from keys.pseudonym import PseudonymKey

CLOSED = frozenset({ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN, ReferralStatus.EXPIRED})


def refer_onward(session: Session, actor: Actor, pseudonyms: PseudonymKey,
                 part_of_id: uuid.UUID, request: intake.NewReferral,
                 idempotency_key: str | None = None, *, policy: Policy) -> intake.Created:
    """Send ``request`` as an onward referral of ``part_of_id``, which the actor received.

    A referral the actor cannot see is 'not found'; one it sent, not received, is forbidden;
    a declined, withdrawn (e.g. on a revoked consent) or expired one is not referred on.
    """
    parent = access.get_visible(session, actor, part_of_id)
    if parent.recipient_id != actor.institution_id:
        raise Forbidden("Only the institution that received a referral refers it onward.")
    if parent.status in CLOSED:
        raise InvalidTransition("A declined, withdrawn or expired referral is not referred on.",
                                current_status=parent.status.value)
    return intake.create(session, actor, pseudonyms,
                         dataclasses.replace(request, part_of_id=parent.id), idempotency_key,
                         policy=policy)


# built once: every referral read asks it. The referral and, generation by generation, the
# onward referrals made from it and from those
_CHAIN = select(Referral.id, literal(0).label("depth")).where(
    Referral.id == bindparam("referral_id")).cte("chain", recursive=True)
_CHAIN = _CHAIN.union_all(select(Referral.id, _CHAIN.c.depth + 1).join(
    _CHAIN, Referral.part_of_id == _CHAIN.c.id))
WITH_CHAIN = (select(Referral).join(_CHAIN, Referral.id == _CHAIN.c.id)
              .order_by(_CHAIN.c.depth, Referral.created_at, Referral.id))


@dataclasses.dataclass(frozen=True)
class Chain:
    """A visible referral and the onward referrals shown with it."""

    referral: Referral
    links: list[Referral]


def visible_with_chain(session: Session, actor: Actor, referral_id: uuid.UUID) -> Chain:
    """The referral as :func:`access.get_visible` gives it, with the onward referrals made
    from it and from those (generation by generation, each oldest first), in one query.

    A link carries no personal data (who referred to whom, when, where it stands), and another
    party's draft is left out.
    """
    found = list(session.scalars(WITH_CHAIN, {"referral_id": referral_id}))
    referral = access.visible(actor, found[0] if found else None)  # depth 0 comes first
    return Chain(referral, _shown_links(actor, found[1:]))


def _shown_links(actor: Actor, links: list[Referral]) -> list[Referral]:
    return [link for link in links
            if link.status is not ReferralStatus.DRAFT or link.sender_id == actor.institution_id]
