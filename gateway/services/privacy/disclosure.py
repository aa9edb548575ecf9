"""Disclosure: a referral as one party may see it now, minimised under the consent engine."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from sqlalchemy import Select, Subquery, select
from sqlalchemy.orm import Session

from gateway.models import (
    DataCategory,
    Priority,
    Purpose,
    Referral,
    ReferralStatus,
)
from gateway.services.actor import Actor
from gateway.services.privacy import consent, minimise
from gateway.services.privacy.policy import Policy

# Filters on fields inside a data category: evaluated only on what the caller may see.
PROTECTED_FILTERS = {"risk_level": (DataCategory.RISK_ASSESSMENT, ("risk_assessment", "level"))}

ReferralColumns: TypeAlias = Referral | tuple
"""A referral as disclosure reads it: the entity, or a page's row of its columns, a named
tuple under the same names (``due_at`` included; ``reads.ShownRow``)."""


def purpose_for(priority: Priority) -> Purpose:
    """The consent purpose of a referral of ``priority``: green channel has its own."""
    return (Purpose.GREEN_CHANNEL_REFERRAL if priority is Priority.GREEN_CHANNEL
            else Purpose.REFERRAL)


def purpose_of(referral: ReferralColumns) -> Purpose:
    """The consent purpose ``referral`` was sent under."""
    return purpose_for(referral.priority)


def subject_of(referral: ReferralColumns) -> consent.SubjectRef:
    """The subject a referral is about, as the consent engine keys it."""
    return consent.SubjectRef(referral.sender_id, referral.subject_key)


def _record(referral: ReferralColumns) -> dict:
    """Everything a referral holds, keyed like the wire view; personal data decrypted."""
    personal = referral.personal_data
    record: dict = {
        "id": referral.id, "sender_id": referral.sender_id,
        "recipient_id": referral.recipient_id,
        "recipient_pseudonym": referral.recipient_pseudonym, "consent_id": referral.consent_id,
        "breakglass_id": referral.breakglass_id, "priority": referral.priority,
        "reason": referral.reason, "status": referral.status,
        "business_status": referral.business_status, "submitted_at": referral.submitted_at,
        "receipt_due_at": referral.receipt_due_at, "decision_due_at": referral.decision_due_at,
        "due_at": referral.due_at,
        "decline_reason": referral.decline_reason, "created_at": referral.created_at,
        "updated_at": referral.updated_at, "version": referral.version,
        "part_of_id": referral.part_of_id,
        **(json.loads(personal) if personal else {}),
        "summary": referral.summary, "diagnosis_code": referral.diagnosis_code,
    }
    if referral.status is ReferralStatus.COMPLETED:
        record["outcome"] = {"note": referral.outcome_note,
                             "diagnosis_code": referral.outcome_diagnosis_code}
    for name in minimise.PERSONAL_FIELDS:  # a personal field is absent, never null
        if name in record and record[name] is None:
            del record[name]
    return record


def _question(actor: Actor, referral: ReferralColumns, record: dict) -> consent.Question:
    """What the engine is asked for the actor's view: the follow-up for the sender, else all."""
    if actor.institution_id == referral.sender_id:
        return consent.Question(subject_of(referral), Purpose.FOLLOW_UP, referral.recipient_id,
                                frozenset({DataCategory.CLINICAL_NOTES}))
    requested = (consent.category_set(tuple(referral.data_categories))
                 | minimise.categories_of(record))
    return consent.Question(subject_of(referral), purpose_of(referral), referral.recipient_id,
                            requested, referral.breakglass_id)


def _shown(actor: Actor, referral: ReferralColumns, record: dict,
           decision: consent.Decision) -> tuple[dict, consent.Decision | None]:
    if actor.institution_id == referral.sender_id:
        shown = record if decision.allowed else {k: v for k, v in record.items()
                                                 if k != "outcome"}
        categories = minimise.categories_of(shown)
        access: dict = {"basis": "holder"}
        result = None
    else:
        categories = decision.categories
        shown = minimise.minimise(record, categories)
        access = {"basis": "breakglass" if decision.breakglass_id
                  else "consent" if decision.consent_ids else "none"}
        if decision.breakglass_id:
            access["expires_at"] = decision.breakglass_expires_at
        result = decision
    shown.update(released_categories=minimise.names(categories), access=access,
                 security_labels=minimise.security_labels(categories))
    return shown, result


def views_with_decisions(session: Session, actor: Actor, referrals: Sequence[ReferralColumns],
                         policy: Policy, *, joined: Iterable[tuple] | None = None,
                         ) -> list[tuple[dict, consent.Decision | None]]:
    """The actor's view of each referral and the decision behind it (None: the sender).

    The sender sees its own data, plus the recipient's outcome under a follow-up consent; the
    recipient sees the categories :func:`consent.authorise` releases now, the rest absent. All
    referrals are decided together (:func:`consent.authorise_many`), in a constant number of
    queries, none when ``joined`` holds the facts of each referral's question
    (:func:`with_facts`).
    """
    records = [_record(referral) for referral in referrals]
    questions = [_question(actor, r, record)
                 for r, record in zip(referrals, records, strict=True)]
    decisions = consent.authorise_many(session, actor, questions, policy=policy, joined=joined)
    return [_shown(actor, r, record, decision)
            for r, record, decision in zip(referrals, records, decisions, strict=True)]


def view_with_decision(session: Session, actor: Actor, referral: Referral,
                       policy: Policy) -> tuple[dict, consent.Decision | None]:
    """The actor's view of one referral (see :func:`views_with_decisions`)."""
    return views_with_decisions(session, actor, [referral], policy)[0]


def disclose(session: Session, actor: Actor, referral: Referral, *,
             policy: Policy) -> dict:
    """The referral as the actor may see it: recipients get only what consent releases now."""
    return view_with_decision(session, actor, referral, policy)[0]


def with_facts(page: Subquery) -> Select:
    """The rows of ``page`` (a subquery of referral columns, ``sender_id``, ``subject_key``
    and ``recipient_id`` among them), each joined to the facts of deciding what it shows
    (:func:`consent.with_facts`; the question :func:`views_with_decisions` asks is about the
    sender's student, to the recipient, whoever reads)."""
    return consent.with_facts(select(page), page.c.sender_id, page.c.subject_key,
                              page.c.recipient_id)


def matches(view: dict, protected: dict[str, str]) -> bool:
    """Whether the caller's own (minimised) view matches every protected filter."""
    for name, wanted in protected.items():
        _category, (outer, inner) = PROTECTED_FILTERS[name]
        if (view.get(outer) or {}).get(inner) != wanted:
            return False
    return True
