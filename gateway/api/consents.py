"""Consents held by the calling institution."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.keystore import current_keyring
from gateway.privacy import current_policy
from gateway.services.privacy import consent, receipts, revocation, subjects
from schemas.consents import (
    ConsentCreateSchema,
    ConsentGrantedSchema,
    ConsentRevokeSchema,
    ConsentSchema,
)

blp = Blueprint("consents", __name__, url_prefix="/api/v1/consents",
                description="Consents of students and guardians.")


@blp.route("")
class Consents(MethodView):
    """Record consents."""

    @authenticated("consents:write")
    @blp.arguments(ConsentCreateSchema)
    @blp.response(201, ConsentGrantedSchema)
    def post(self, body: dict):
        """Record a consent given to the calling institution; returns a signed receipt."""
        actor = current_actor()
        subject_ref = body.pop("subject_ref")
        keyring = current_keyring()
        key = subjects.subject_key(keyring.pseudonyms, actor.institution_id, subject_ref)
        granted = consent.grant(db_session(), actor, subject_key=key,
                                recipient_id=body.pop("recipient_institution_id", None),
                                policy=current_policy(), **body)
        return receipts.issue(keyring.signing, granted, current_app.config["ISSUER"])


@blp.route("/<uuid:consent_id>")
class ConsentItem(MethodView):
    """One consent."""

    @authenticated("consents:read")
    @blp.response(200, ConsentSchema)
    def get(self, consent_id: uuid.UUID):
        """Read a consent held by the calling institution."""
        return consent.get_own(db_session(), current_actor(), consent_id)


@blp.route("/<uuid:consent_id>/revoke")
class ConsentRevocation(MethodView):
    """Withdraw a consent."""

    @authenticated("consents:write")
    @blp.arguments(ConsentRevokeSchema)
    @blp.response(200, ConsentSchema)
    def post(self, body: dict, consent_id: uuid.UUID):
        """Revoke a consent at once; open referrals that relied on it are withdrawn."""
        return revocation.revoke(db_session(), current_actor(), consent_id, body["reason"],
                                 policy=current_policy())
