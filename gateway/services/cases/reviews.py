"""Reviews (研判): a case's tier is kept, raised or lowered, and its next review scheduled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.models import AttentionTier, Case, CaseEntry, CaseEntryKind, utcnow
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.cases import casework, schedule
from gateway.services.cases.rules import CaseRules
from gateway.services.errors import InvalidInput
from gateway.services.network import institutions

TIER_ORDER = (AttentionTier.DAILY, AttentionTier.KEY, AttentionTier.CRISIS)


@dataclass(frozen=True)
class Reviewed:
    """A recorded review: its entry, whether the tier was kept, raised or lowered, the case."""

    entry: CaseEntry
    outcome: str
    case: Case


def _outcome(before: AttentionTier, after: AttentionTier) -> str:
    change = TIER_ORDER.index(after) - TIER_ORDER.index(before)
    return "kept" if change == 0 else "raised" if change > 0 else "lowered"


def record(session: Session, actor: Actor, case_id: uuid.UUID, *, tier: AttentionTier,
           note: str | None, tier_reason: str | None, rules: CaseRules,
           at: datetime | None = None) -> Reviewed:
    """Record a review at ``at`` (now by default): who, when, the tier after it, an encrypted
    note; a changed tier needs its reason. The next review is scheduled from this one."""
    case = casework.require_open(casework.get_own(session, actor, case_id, for_update=True))
    moment = at or utcnow()
    before = case.attention_tier
    outcome = _outcome(before, tier)
    if outcome != "kept" and tier_reason is None:
        raise InvalidInput("A tier change needs its reason.", missing=["tier_reason"])
    case.attention_tier = tier
    casework.check_one_of_each(case)
    entry = casework.add_entry(session, actor, case, CaseEntryKind.REVIEW, tier=tier, note=note,
                               outcome=outcome, recorded_at=moment)
    journal.record(session, actor, "case.reviewed", "case", case.id, purpose=casework.CASE_PURPOSE,
                   detail={"tier": tier.value, "outcome": outcome})
    if outcome != "kept":
        casework.record_tier_change(session, actor, case, before, tier_reason or "review",
                                    rules=rules, at=moment)
    else:
        region = institutions.get_active(session, case.institution_id).region
        case.next_review_at = schedule.next_review(rules.of(region), tier, moment)
    session.flush()
    return Reviewed(entry, outcome, case)
