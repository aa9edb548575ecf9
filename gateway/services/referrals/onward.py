"""Onward referral: the recipient of a referral refers the student on (FHIR ``POST Task``
with ``partOf``), under its own consent, partnership and the same rules as any referral."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy.orm import Session

from gateway.services.actor import Actor
from gateway.services.errors import Forbidden
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, intake
from keys.pseudonym import PseudonymKey


def refer_onward(session: Session, actor: Actor, pseudonyms: PseudonymKey,
                 part_of_id: uuid.UUID, request: intake.NewReferral,
                 idempotency_key: str | None = None, *, policy: Policy) -> intake.Created:
    """Send ``request`` as an onward referral of ``part_of_id``, which the actor received.

    A referral the actor cannot see is 'not found'; one it sent, not received, is forbidden.
    """
    parent = access.get_visible(session, actor, part_of_id)
    if parent.recipient_id != actor.institution_id:
        raise Forbidden("Only the institution that received a referral refers it onward.")
    return intake.create(session, actor, pseudonyms,
                         dataclasses.replace(request, part_of_id=parent.id), idempotency_key,
                         policy=policy)
