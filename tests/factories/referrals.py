"""Referral request bodies."""

from __future__ import annotations

import uuid

SUBJECT_REF = "stu-2024-0042"
SUMMARY = "Student described a plan to the dormitory officer; counsellor escalated."


def referral_body(recipient_id: uuid.UUID, subject: str = SUBJECT_REF, **extra: object) -> dict:
    """A valid green-channel referral to ``recipient_id``; ``extra`` adds or overrides fields."""
    return {"recipient_institution_id": str(recipient_id), "subject_ref": subject,
            "priority": "green_channel", "reason": "suicide_risk", "summary": SUMMARY, **extra}
