"""Onward referral: the recipient of a referral refers the student on (FHIR ``POST Task``
with ``partOf``, or ``POST /api/v1/referrals/{id}/onward``), under its own consent for the new
recipient, partnership and the same rules as any referral. The chain below a referral, shown to
its sender and recipient without personal data, is read with it (``reads.read``)."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy.orm import Session

from gateway.models import ReferralStatus
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
