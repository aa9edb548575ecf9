"""Referrals: send, read, list the inbox or sent box, and move along the lifecycle."""

from __future__ import annotations

import uuid

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.privacy import current_policy
from gateway.services import disclosure, referrals
from schemas.common import InputSchema
from schemas.referrals import (
    ReferralCreateSchema,
    ReferralListQuerySchema,
    ReferralPageSchema,
    ReferralSchema,
    ReferralTransitionSchema,
)

PERSONAL_INPUTS = ("identity", "contact", "guardian_contact", "risk_assessment", "school_record")
blp = Blueprint("referrals", __name__, url_prefix="/api/v1/referrals",
                description="Referrals between institutions (outer circulation).")


class IdempotencyHeaderSchema(InputSchema):
    """Retry-safe creation."""

    class Meta:
        unknown = "exclude"

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=[validate.Length(1, 255), validate.Regexp(r"^[\x21-\x7e]+$")],
    )


@blp.route("")
class Referrals(MethodView):
    """Send and list referrals."""

    @authenticated("referrals:write")
    @blp.doc(security=[{"oauth2": ["referrals:write"]}])
    @blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
    @blp.arguments(ReferralCreateSchema)
    @blp.response(201, ReferralSchema)
    def post(self, body: dict, idempotency_key: str | None = None):
        """Send a referral; consents must cover purpose, recipient and every data category."""
        session, actor, policy = db_session(), current_actor(), current_policy()
        recipient_id = body.pop("recipient_institution_id")
        request = referrals.NewReferral(
            recipient_id=recipient_id,
            personal={name: body.pop(name) for name in PERSONAL_INPUTS if name in body},
            **body)
        created = referrals.create(session, actor, current_keyring().pseudonyms, request,
                                   idempotency_key, policy=policy)
        headers = {"Location": f"/api/v1/referrals/{created.referral.id}"}
        if created.replayed:
            headers["Idempotent-Replayed"] = "true"
        return disclosure.disclose(session, actor, created.referral, policy=policy), 201, headers

    @authenticated("referrals:read")
    @blp.doc(security=[{"oauth2": ["referrals:read"]}])
    @blp.arguments(ReferralListQuerySchema, location="query")
    @blp.response(200, ReferralPageSchema)
    def get(self, query: dict):
        """List the inbox (received) or sent box, newest first, with keyset pagination."""
        return referrals.list_box(db_session(), current_actor(), policy=current_policy(),
                                  **query)


@blp.route("/<uuid:referral_id>")
class ReferralItem(MethodView):
    """One referral, visible to its sender and recipient only."""

    @authenticated("referrals:read")
    @blp.doc(security=[{"oauth2": ["referrals:read"]}])
    @blp.response(200, ReferralSchema)
    def get(self, referral_id: uuid.UUID):
        """Read a referral."""
        return referrals.read(db_session(), current_actor(), referral_id,
                              policy=current_policy())


@blp.route("/<uuid:referral_id>/transitions")
class ReferralTransitions(MethodView):
    """Lifecycle changes by the recipient."""

    @authenticated("referrals:write")
    @blp.doc(security=[{"oauth2": ["referrals:write"]}])
    @blp.arguments(ReferralTransitionSchema)
    @blp.response(200, ReferralSchema)
    def post(self, body: dict, referral_id: uuid.UUID):
        """Accept, decline (with reason_code) or complete (with outcome) a referral."""
        session, actor = db_session(), current_actor()
        referral = referrals.transition(session, actor, referral_id, referrals.Transition(**body))
        return disclosure.disclose(session, actor, referral, policy=current_policy())
