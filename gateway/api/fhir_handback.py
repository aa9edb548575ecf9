"""Hand-back after hospital care at the FHIR base: ``POST Communication`` on the referral's Task.

The Communication (see :mod:`adapters.fhir_handback`) is checked by the REST hand-back's own
schema and recorded by the same service as ``POST /api/v1/referrals/{id}/hand-back``, so both
refuse the same things with the same status; here as an OperationOutcome (the blueprint nests
in the FHIR one). The answer never echoes the discharge advice.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from marshmallow import ValidationError

from adapters import fhir_handback
from gateway.api.auth import authenticated, current_actor
from gateway.api.fhir import bp as fhir_bp
from gateway.api.fhir_http import body, refused, representation, resource_uuid
from gateway.db import db_session
from gateway.services.cases import handback
from schemas.handbacks import HandBackCreateSchema

bp = Blueprint("fhir_handback", __name__)
_HAND_BACK = HandBackCreateSchema()  # built once, not per Communication


@bp.post("/Communication")
@authenticated("referrals:write")
def create_communication() -> Response:
    """The hospital hands the student back: discharge advice, follow-ups, return to school."""
    message = fhir_handback.parse_hand_back(body())
    try:
        loaded = _HAND_BACK.load(message.fields)
    except ValidationError as exc:
        raise refused(exc, 422, "Communication content") from None
    recorded = handback.send(db_session(), current_actor(),
                             resource_uuid(message.referral_id, "Task"),
                             handback.NewHandBack(**loaded))
    resource = fhir_handback.hand_back_receipt({
        "id": str(recorded.id), "referral_id": str(recorded.referral_id),
        "created_at": recorded.created_at.isoformat(),
        "follow_up_after_days": sorted(set(loaded["follow_up_after_days"])),
        "return_to_school_advised": recorded.return_to_school_advised,
        "return_on": recorded.return_on.isoformat() if recorded.return_on else None})
    response = representation(resource, 201)
    response.headers["Location"] = (f"{current_app.config['ISSUER']}{fhir_bp.url_prefix}/"
                                    f"Communication/{resource['id']}")
    return response


fhir_bp.register_blueprint(bp)  # nested: FHIR's negotiation, and errors as OperationOutcomes
