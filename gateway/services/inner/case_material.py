"""Case material of case-conference bookings: attached when booked, decided again at every read.

Material travels identified (as given, with the student's pair pseudonym for the host) only while
a ``case_conference`` consent covering the host is in force, as :func:`consent.authorise` says;
otherwise both parties see the de-identified view. So a revoked or expired consent takes effect
on the next read.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Booking, DataCategory, Purpose, Slot, SlotKind
from gateway.services.actor import Actor
from gateway.services.errors import InvalidInput
from gateway.services.privacy import consent, deidentify, subjects
from gateway.services.privacy.policy import Policy
from keys.pseudonym import PseudonymKey

CATEGORIES = (DataCategory.CLINICAL_NOTES,)


def attach(session: Session, actor: Actor, pseudonyms: PseudonymKey, booking: Booking,
           slot: Slot, summary: str, subject_ref: str | None, *, policy: Policy) -> None:
    """Store the material: identified (with what re-deciding needs) only if consent allows now."""
    if slot.kind is not SlotKind.CASE_CONFERENCE:
        raise InvalidInput("Case material goes with case-conference slots only.")
    if subject_ref:
        key = subjects.subject_key(pseudonyms, booking.institution_id, subject_ref)
        decision = consent.authorise(
            session, actor, consent.SubjectRef(booking.institution_id, key),
            Purpose.CASE_CONFERENCE, slot.institution_id, CATEGORIES, policy=policy)
        if decision.allowed:
            booking.case_identified, booking.consent_id = True, decision.consent_id
            booking.case_subject_key = key
            booking.case_subject_pseudonym = subjects.pair_pseudonym(
                pseudonyms, booking.institution_id, slot.institution_id, subject_ref)
            booking.case_summary = summary
            return
    booking.case_summary = deidentify.scrub(summary)


def _held_identified(booking: Booking) -> bool:
    return booking.case_identified and booking.case_subject_key is not None


def decide_many(session: Session, actor: Actor, bookings: Sequence[Booking], *,
                policy: Policy) -> list[consent.Decision | None]:
    """Whether each host may see the material identified now (None: none is held identified).

    All bookings are decided together (:func:`consent.authorise_many`): a few queries per page.
    """
    held = [b for b in bookings if _held_identified(b)]
    hosts = ({slot.id: slot.institution_id for slot in session.scalars(
        select(Slot).where(Slot.id.in_({b.slot_id for b in held})))} if held else {})
    decisions = iter(consent.authorise_many(session, actor, [
        consent.Question(consent.SubjectRef(b.institution_id, b.case_subject_key),
                         Purpose.CASE_CONFERENCE, hosts[b.slot_id], frozenset(CATEGORIES))
        for b in held], policy=policy))
    return [next(decisions) if _held_identified(b) else None for b in bookings]


def decide(session: Session, actor: Actor, booking: Booking, *,
           policy: Policy) -> consent.Decision | None:
    """Whether the host may see the material identified now (None: none is held identified)."""
    return decide_many(session, actor, [booking], policy=policy)[0]


def view(booking: Booking, decision: consent.Decision | None) -> dict | None:
    """The material as booker and host may see it under ``decision`` (None: no material)."""
    if booking.case_summary is None:
        return None
    if decision is not None and decision.allowed:
        return {"summary": booking.case_summary, "identified": True,
                "subject_pseudonym": booking.case_subject_pseudonym,
                "consent_id": decision.consent_id}
    return {"summary": deidentify.scrub(booking.case_summary), "identified": False,
            "subject_pseudonym": None, "consent_id": None}
