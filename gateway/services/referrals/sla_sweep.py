"""The SLA sweep: escalate missed green-channel deadlines once, expire unreceived referrals.

Run by ``flask --app gateway scheduler`` on any number of hosts: referral rows are claimed
with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) and a breach is recorded under a unique key, so
each breach escalates exactly once whichever scheduler finds it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from adapters import payloads
from gateway.models import (
    AlertKind,
    Priority,
    Purpose,
    Referral,
    ReferralStatus,
    SlaBreach,
    SlaKind,
)
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.alerts import raise_alert
from gateway.services.audit import journal
from gateway.services.network import institutions
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, lifecycle, sla

ACTOR = Actor.system("scheduler")
AWAITING = {
    SlaKind.RECEIPT: (Referral.receipt_due_at, [ReferralStatus.SUBMITTED]),
    SlaKind.DECISION: (Referral.decision_due_at,
                       [ReferralStatus.SUBMITTED, ReferralStatus.RECEIVED]),
}


@dataclass(frozen=True)
class Sweep:
    """What one sweep did."""

    breaches: int
    expired: int


def _overdue(session: Session, kind: SlaKind, now: datetime, limit: int) -> list[Referral]:
    due, statuses = AWAITING[kind]
    recorded = exists().where(and_(SlaBreach.referral_id == Referral.id, SlaBreach.kind == kind))
    return list(session.scalars(
        select(Referral)
        .where(Referral.priority == Priority.GREEN_CHANNEL, Referral.status.in_(statuses),
               due <= now, ~recorded)
        .order_by(due).limit(limit).with_for_update(skip_locked=True, of=Referral)))


def _escalate(session: Session, referral: Referral, kind: SlaKind, due: datetime,
              now: datetime, policy: Policy) -> None:
    """Tell the recipient (with its on-call contact) and alert the region's coordinators."""
    recipient = institutions.get_active(session, referral.recipient_id)
    service_level = sla.policy_for(session, recipient.id)
    notice = {"event": "referral.sla_breached", "sla": kind.value, "due_at": due.isoformat(),
              "detected_at": now.isoformat(), "referral_id": str(referral.id),
              "recipient_institution_id": str(recipient.id), "priority": referral.priority.value}
    outbox.enqueue(session, "referral.sla_breached",
                   {**notice, "on_call_contact": service_level.on_call_contact,
                    "referral": payloads.referral(access.addressee_view(
                        session, referral, recipient.id, policy=policy))},
                   institution_id=recipient.id)
    raise_alert(session, ACTOR, kind=AlertKind.SLA_BREACHED, region=recipient.region,
                cause_type="referral", cause_id=referral.id, notice=notice,
                institution_id=recipient.id, pseudonym=referral.recipient_pseudonym)
    journal.record(session, ACTOR, "referral.sla_breached", "referral", referral.id,
                   purpose=Purpose.REFERRAL.value, consent_id=referral.consent_id,
                   detail={"sla": kind.value, "due_at": due.isoformat(),
                           "region": recipient.region})


def sweep(session: Session, now: datetime, *, policy: Policy, limit: int = 100) -> Sweep:
    """Find and escalate missed SLAs, and expire referrals never received, as of ``now``."""
    breaches = 0
    for kind in SlaKind:
        for referral in _overdue(session, kind, now, limit):
            if sla.record_breach(session, referral, kind, now) is not None:
                due = AWAITING[kind][0]
                _escalate(session, referral, kind, getattr(referral, due.key), now, policy)
                breaches += 1
    expiring = session.scalars(
        select(Referral).where(Referral.status == ReferralStatus.SUBMITTED,
                               Referral.expires_at <= now)
        .limit(limit).with_for_update(skip_locked=True, of=Referral)).all()
    for referral in expiring:
        lifecycle.expire(session, ACTOR, referral, now, policy=policy)
    return Sweep(breaches, len(expiring))
