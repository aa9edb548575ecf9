"""Hand-back wire schemas: what the hospital sends, what the school reads."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PERSONAL, InputSchema


class HandBackCreateSchema(InputSchema):
    """A hand-back from the hospital that took the referral."""

    discharge_advice = fields.String(required=True, validate=validate.Length(1, 4000), metadata={
        "description": "For the school; released to it only under a follow_up consent."})
    follow_up_after_days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(1, 730)), required=True,
        validate=validate.Length(0, 12),
        metadata={"description": "Recommended follow-ups, in days after the hand-back "
                                 "(e.g. [7, 30, 90]); they fall due in the school's ledger."})
    return_to_school_advised = fields.Boolean(required=True)
    return_on = fields.Date(metadata={"description": "From when return to school is advised."})


class HandBackReceiptSchema(Schema):
    """What the hospital is told: the hand-back is recorded (its advice is not echoed)."""

    id = fields.UUID()
    referral_id = fields.UUID()
    created_at = fields.DateTime()


class PlannedFollowUpSchema(Schema):
    """A follow-up the hand-back planned."""

    id = fields.UUID()
    due_at = fields.DateTime()
    done = fields.Function(lambda planned: planned.done_entry_id is not None)


class HandBackSchema(Schema):
    """A hand-back as the school sees it."""

    id = fields.UUID(attribute="hand_back.id")
    referral_id = fields.UUID(attribute="hand_back.referral_id")
    created_at = fields.DateTime(attribute="hand_back.created_at")
    return_to_school_advised = fields.Boolean(attribute="hand_back.return_to_school_advised")
    return_on = fields.Date(attribute="hand_back.return_on", allow_none=True)
    follow_ups = fields.List(fields.Nested(PlannedFollowUpSchema))
    discharge_advice = fields.String(allow_none=True, metadata=PERSONAL)
    withheld = fields.Dict(allow_none=True, metadata={
        "description": "Why the discharge advice is withheld (no follow_up consent in force)."})


class HandBackListSchema(Schema):
    """The hand-backs of a case."""

    items = fields.List(fields.Nested(HandBackSchema))
