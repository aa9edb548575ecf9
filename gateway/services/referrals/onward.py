"""Onward referral: the recipient of a referral refers the student on (FHIR ``POST Task``
with ``partOf``, or ``POST /api/v1/referrals/{id}/onward``), under its own consent for the new
recipient, partnership and the same rules as any referral; the chain below a referral is shown
to its sender and recipient without personal data."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select
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


def chain_below(session: Session, actor: Actor, referral: Referral) -> list[Referral]:
    """The onward referrals made from ``referral`` and from those, oldest first.

    The caller has already been allowed to see ``referral``; a link carries no personal data
    (who referred to whom, when, where it stands), and another party's draft is left out.
    """
    links: list[Referral] = []
    frontier = [referral.id]
    while frontier:
        children = list(session.scalars(select(Referral).where(
            Referral.part_of_id.in_(frontier)).order_by(Referral.created_at, Referral.id)))
        links += children
        frontier = [child.id for child in children]
    return [link for link in links
            if link.status is not ReferralStatus.DRAFT or link.sender_id == actor.institution_id]
