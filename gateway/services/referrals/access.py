"""Referral access: which referrals a party sees, and what of them it may see now."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from gateway.models import DataCategory, Institution, Purpose, Referral, ReferralStatus
from gateway.services.actor import Actor
from gateway.services.errors import NotFound
from gateway.services.privacy import consent, disclosure
from gateway.services.privacy.policy import Policy

Shown = TypeVar("Shown", bound=disclosure.ReferralColumns)


def get_visible(session: Session, actor: Actor, referral_id: uuid.UUID,
                *, for_update: bool = False) -> Referral:
    """A referral the actor's institution sent or received; any other is 'not found'.

    The recipient does not see a draft until it is submitted.
    """
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    return visible(actor, session.scalar(query))


def visible(actor: Actor, referral: Shown | None) -> Shown:
    """``referral`` (the entity or a row of its columns) if the actor sees it (see
    :func:`get_visible`), else 'not found'."""
    if referral is None or actor.institution_id not in (referral.sender_id, referral.recipient_id):
        raise NotFound("No referral with that id.")
    if referral.status is ReferralStatus.DRAFT and actor.institution_id != referral.sender_id:
        raise NotFound("No referral with that id.")
    return referral


_SENDER, _RECIPIENT = aliased(Institution), aliased(Institution)
# built once: a lifecycle step's referral, locked as it is now (even if the session held it),
# with what its notice reads: both institutions (its consent decision loads its own facts)
LOCKED = (select(Referral, _SENDER, _RECIPIENT)
          .join(_SENDER, _SENDER.id == Referral.sender_id)
          .join(_RECIPIENT, _RECIPIENT.id == Referral.recipient_id)
          .where(Referral.id == bindparam("id"))
          .with_for_update(of=Referral)
          .execution_options(populate_existing=True))


@dataclass(frozen=True)
class Locked:
    """A visible referral under its row lock, and the rows read with it.

    While the caller holds this, the session's (weak) identity map keeps the institutions, so
    the step's notice finds them without a query.
    """

    referral: Referral
    rows: tuple[object, ...]


def lock_visible(session: Session, actor: Actor, referral_id: uuid.UUID) -> Locked:
    """:func:`get_visible` ``for_update``, with both institutions in the same query."""
    row = session.execute(LOCKED, {"id": referral_id}).one_or_none()
    return Locked(visible(actor, row[0] if row else None), tuple(row or ()))


def notes_visible(session: Session, referral: Referral, institution_id: uuid.UUID,
                  *, policy: Policy) -> bool:
    """Whether a party may read the referral's free-text notes (category clinical notes).

    The recipient may under the referral's own consent; the sender hears the recipient's notes
    back only under a follow-up consent, as with the outcome.
    """
    is_recipient = institution_id == referral.recipient_id
    decision = consent.authorise(
        session, _party(institution_id), disclosure.subject_of(referral),
        disclosure.purpose_of(referral) if is_recipient else Purpose.FOLLOW_UP,
        referral.recipient_id, [DataCategory.CLINICAL_NOTES],
        breakglass_id=referral.breakglass_id if is_recipient else None, policy=policy)
    return decision.allowed


def _party(institution_id: uuid.UUID) -> Actor:
    """The gateway acting for one party, to see a referral as that party may."""
    return Actor(client_id="gateway", institution_id=institution_id, scopes=frozenset())


def addressee_view(session: Session, referral: Referral, institution_id: uuid.UUID,
                   *, policy: Policy) -> dict:
    """The referral as ``institution_id`` may see it now (a view, see ``disclosure``).

    Minimisation happens here, before any adapter: fields of unreleased data categories are
    absent, and adapters map only what is present (``adapters.payloads`` gives the wire form).
    """
    return disclosure.disclose(session, _party(institution_id), referral, policy=policy)
