"""Referrals: send, read, list the inbox or sent box, and move along the lifecycle."""

from __future__ import annotations

import base64
import uuid

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import fields, validate

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.privacy import current_policy
from gateway.services.privacy import disclosure
from gateway.services.referrals import attachments, intake, lifecycle, metrics, onward, reads
from schemas.attachments import AttachmentQuerySchema, AttachmentSchema
from schemas.common import InputSchema
from schemas.referrals import (
    OnwardReferralSchema,
    ReferralCreateSchema,
    ReferralEventSchema,
    ReferralListQuerySchema,
    ReferralMetricsSchema,
    ReferralPageSchema,
    ReferralSchema,
    ReferralTransitionSchema,
    ReferralUpdateSchema,
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
    @blp.arguments(IdempotencyHeaderSchema, location="headers", as_kwargs=True)
    @blp.arguments(ReferralCreateSchema)
    @blp.response(201, ReferralSchema)
    def post(self, body: dict, idempotency_key: str | None = None):
        """Send a referral; consents must cover purpose, recipient and every data category."""
        session, actor, policy = db_session(), current_actor(), current_policy()
        recipient_id = body.pop("recipient_institution_id", None)
        request = intake.NewReferral(
            recipient_id=recipient_id,
            personal={name: body.pop(name) for name in PERSONAL_INPUTS if name in body},
            **body)
        created = intake.create(session, actor, current_keyring().pseudonyms, request,
                                   idempotency_key, policy=policy)
        headers = {"Location": f"/api/v1/referrals/{created.referral.id}"}
        if created.replayed:
            headers["Idempotent-Replayed"] = "true"
        return disclosure.disclose(session, actor, created.referral, policy=policy), 201, headers

    @authenticated("referrals:read")
    @blp.arguments(ReferralListQuerySchema, location="query")
    @blp.response(200, ReferralPageSchema)
    def get(self, query: dict):
        """List the inbox (received) or sent box, newest first, with keyset pagination."""
        return reads.list_box(db_session(), current_actor(), policy=current_policy(),
                                  **query)


@blp.route("/<uuid:referral_id>")
class ReferralItem(MethodView):
    """One referral, visible to its sender and recipient only."""

    @authenticated("referrals:read")
    @blp.response(200, ReferralSchema)
    def get(self, referral_id: uuid.UUID):
        """Read a referral."""
        return reads.read(db_session(), current_actor(), referral_id,
                              policy=current_policy())


@blp.route("/<uuid:referral_id>/onward")
class OnwardReferral(MethodView):
    """The recipient refers the student onward."""

    @authenticated("referrals:write")
    @blp.arguments(OnwardReferralSchema)
    @blp.response(201, ReferralSchema)
    def post(self, body: dict, referral_id: uuid.UUID):
        """Refer onward from a referral the caller received, as a new referral of its own
        (``part_of_id`` names this one): the caller's own consent must cover the new
        recipient and every data category sent. The first sender sees the chain in its read."""
        session, actor, policy = db_session(), current_actor(), current_policy()
        request = intake.NewReferral(
            recipient_id=body.pop("recipient_institution_id"),
            personal={name: body.pop(name) for name in PERSONAL_INPUTS if name in body},
            **body)
        created = onward.refer_onward(session, actor, current_keyring().pseudonyms,
                                      referral_id, request, policy=policy)
        return (disclosure.disclose(session, actor, created.referral, policy=policy), 201,
                {"Location": f"/api/v1/referrals/{created.referral.id}"})


@blp.route("/<uuid:referral_id>/transitions")
class ReferralTransitions(MethodView):
    """Lifecycle changes: the recipient moves forward, the sender submits or withdraws."""

    @authenticated("referrals:write")
    @blp.arguments(ReferralTransitionSchema)
    @blp.response(200, ReferralSchema)
    def post(self, body: dict, referral_id: uuid.UUID):
        """Receive, accept, decline (reason_code), start, complete (outcome), or withdraw."""
        session, actor, policy = db_session(), current_actor(), current_policy()
        referral = lifecycle.transition(session, actor, referral_id,
                                                 lifecycle.Transition(**body),
                                                 policy=policy)
        return disclosure.disclose(session, actor, referral, policy=policy)


@blp.route("/<uuid:referral_id>/updates")
class ReferralUpdates(MethodView):
    """Interim feedback from the recipient."""

    @authenticated("referrals:write")
    @blp.arguments(ReferralUpdateSchema)
    @blp.response(201, ReferralEventSchema)
    def post(self, body: dict, referral_id: uuid.UUID):
        """Report a business status (e.g. event_scheduled with appointment_at) or a message."""
        return lifecycle.post_update(db_session(), current_actor(), referral_id,
                                     lifecycle.Update(**body), policy=current_policy())


@blp.route("/<uuid:referral_id>/events")
class ReferralHistory(MethodView):
    """What happened to a referral."""

    @authenticated("referrals:read")
    @blp.response(200, ReferralEventSchema(many=True))
    def get(self, referral_id: uuid.UUID):
        """Status changes, business statuses and feedback, oldest first."""
        return reads.history(db_session(), current_actor(), referral_id, policy=current_policy())


@blp.route("/<uuid:referral_id>/metrics")
class ReferralMetrics(MethodView):
    """Times to milestones."""

    @authenticated("referrals:read")
    @blp.response(200, ReferralMetricsSchema)
    def get(self, referral_id: uuid.UUID):
        """Seconds from submission to receipt, decision, first appointment and completion."""
        return metrics.for_referral(db_session(), current_actor(), referral_id)


@blp.route("/<uuid:referral_id>/attachments")
class ReferralAttachments(MethodView):
    """Files attached to a referral (the request body is the file)."""

    @authenticated("referrals:write")
    @blp.arguments(AttachmentQuerySchema, location="query")
    @blp.response(201, AttachmentSchema)
    def post(self, query: dict, referral_id: uuid.UUID):
        """Upload a file: PDF, PNG, JPEG or UTF-8 text, up to ATTACHMENT_MAX_BYTES."""
        limit = current_app.config["ATTACHMENT_MAX_BYTES"]
        request.max_content_length = limit + 1
        return attachments.add(db_session(), current_actor(), referral_id,
                               filename=query["filename"], content_type=request.mimetype,
                               data=request.get_data(cache=False), max_bytes=limit)

    @authenticated("referrals:read")
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, referral_id: uuid.UUID):
        """List the attachments' metadata."""
        return attachments.list_for(db_session(), current_actor(), referral_id)


@blp.route("/<uuid:referral_id>/attachments/<uuid:attachment_id>")
class ReferralAttachment(MethodView):
    """One attachment's content."""

    @authenticated("referrals:read")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, referral_id: uuid.UUID, attachment_id: uuid.UUID):
        """Download; ``Repr-Digest`` carries the SHA-256 of the content."""
        download = attachments.fetch(db_session(), current_actor(), referral_id, attachment_id,
                                     policy=current_policy())
        digest = base64.b64encode(bytes.fromhex(download.attachment.sha256)).decode()
        return Response(download.content, mimetype=download.attachment.content_type,
                        headers={"Repr-Digest": f"sha-256=:{digest}:",
                                 "Content-Disposition": "attachment"})
