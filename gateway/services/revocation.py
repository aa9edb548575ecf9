"""Revocation: a consent withdrawn takes effect at once, for new exchanges and open referrals."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from gateway.models import Consent
from gateway.services import consent, referrals
from gateway.services.actor import Actor
from gateway.services.policy import Policy


def revoke(session: Session, actor: Actor, consent_id: uuid.UUID, reason: str, *,
           policy: Policy = consent.DEFAULT_POLICY) -> Consent:
    """Revoke the consent and withdraw the open referrals that relied on it."""
    revoked = consent.revoke(session, actor, consent_id, reason)
    referrals.withdraw_unsupported(session, actor, revoked, policy=policy)
    return revoked
