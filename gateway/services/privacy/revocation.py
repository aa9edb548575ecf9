"""Revocation: a consent withdrawn takes effect at once, for new exchanges and open referrals."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Consent, Referral, ReferralStatus
from gateway.models.referral import FINAL_STATUSES
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.privacy import consent, disclosure
from gateway.services.privacy.policy import Policy


def revoke(session: Session, actor: Actor, consent_id: uuid.UUID, reason: str, *,
           policy: Policy) -> Consent:
    """Revoke the consent and withdraw the open referrals that relied on it."""
    revoked = consent.revoke(session, actor, consent_id, reason)
    withdraw_unsupported(session, actor, revoked, policy=policy)
    return revoked


def withdraw_unsupported(session: Session, actor: Actor, revoked: Consent, *,
                         policy: Policy) -> list[Referral]:
    """After ``revoked`` is revoked: withdraw the open referrals no consent supports any more.

    Each withdrawal is audited and its recipient is told through the outbox (no personal data).
    """
    open_referrals = session.scalars(
        select(Referral).where(Referral.sender_id == revoked.institution_id,
                               Referral.subject_key == revoked.subject_key,
                               Referral.status.not_in(FINAL_STATUSES))
        .order_by(Referral.created_at, Referral.id).with_for_update())
    withdrawn = []
    for referral in open_referrals:
        if disclosure.purpose_of(referral) is not revoked.purpose:
            continue
        decision = consent.authorise(session, actor, disclosure.subject_of(referral),
                                     revoked.purpose, referral.recipient_id,
                                     referral.data_categories,
                                     breakglass_id=referral.breakglass_id, policy=policy)
        if decision.allowed:
            continue
        referral.status = ReferralStatus.WITHDRAWN
        session.flush()
        journal.record(session, actor, "referral.withdrawn", "referral", referral.id,
                       purpose=revoked.purpose.value, consent_id=revoked.id,
                       detail={"cause": "consent_revoked"})
        outbox.enqueue(session, "referral.withdrawn",
                       {"referral_id": str(referral.id), "status": "withdrawn",
                        "cause": "consent_revoked"}, institution_id=referral.recipient_id)
        withdrawn.append(referral)
    return withdrawn
