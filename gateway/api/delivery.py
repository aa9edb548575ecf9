"""Delivery settings and dead letters, for coordinators (scope ``network:admin``)."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.delivery.worker import delivery_policy
from gateway.services import outbox
from gateway.services.network import endpoints, institutions
from gateway.services.referrals import sla
from schemas.delivery import (
    DeadLetterQuerySchema,
    EndpointSchema,
    EndpointSetSchema,
    OutboxMessageSchema,
    SlaPolicySchema,
    SlaPolicySetSchema,
)

blp = Blueprint("delivery", __name__, url_prefix="/api/v1/network/delivery",
                description="Push endpoints, green-channel SLAs and dead letters.")


_ENDPOINT = EndpointSchema()  # built once, not per request


def _configured(result: endpoints.Configured) -> dict:
    return {**_ENDPOINT.dump(result.endpoint), "secret": result.secret}


@blp.route("/institutions/<uuid:institution_id>/endpoint")
class InstitutionEndpoint(MethodView):
    """An institution's push endpoint."""

    @authenticated("network:admin")
    @blp.arguments(EndpointSetSchema)
    @blp.response(200, EndpointSchema)
    def put(self, body: dict, institution_id: uuid.UUID):
        """Set the format and URL; a new signing secret is returned once."""
        return _configured(endpoints.configure(db_session(), current_actor(),
                                               format_name=body["format"], url=body["url"],
                                               institution_id=institution_id,
                                               policy=delivery_policy(current_app.config)))


@blp.route("/regions/<region>/endpoint")
class RegionEndpoint(MethodView):
    """Where a region's coordinators receive escalations."""

    @authenticated("network:admin")
    @blp.arguments(EndpointSetSchema)
    @blp.response(200, EndpointSchema)
    def put(self, body: dict, region: str):
        """Set the format and URL; a new signing secret is returned once."""
        return _configured(endpoints.configure(db_session(), current_actor(),
                                               format_name=body["format"], url=body["url"],
                                               region=region,
                                               policy=delivery_policy(current_app.config)))


@blp.route("/institutions/<uuid:institution_id>/sla")
class InstitutionSla(MethodView):
    """A recipient's green-channel SLA."""

    @authenticated("network:admin")
    @blp.arguments(SlaPolicySetSchema)
    @blp.response(200, SlaPolicySchema)
    def put(self, body: dict, institution_id: uuid.UUID):
        """Set receipt and decision minutes and the on-call contact."""
        session = db_session()
        institutions.get_active(session, institution_id)
        return sla.set_policy(session, current_actor(), institution_id,
                              on_call_contact=body.pop("on_call_contact", None), **body)


@blp.route("/dead-letters")
class DeadLetters(MethodView):
    """Messages parked after too many failed deliveries."""

    @authenticated("network:admin")
    @blp.arguments(DeadLetterQuerySchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    def get(self, query: dict):
        """List dead letters, optionally of one region."""
        return outbox.dead_letters(db_session(), region=query.get("region"))


@blp.route("/dead-letters/<uuid:message_id>/replay")
class DeadLetterReplay(MethodView):
    """Put a dead letter back in the queue."""

    @authenticated("network:admin")
    @blp.response(200, OutboxMessageSchema)
    def post(self, message_id: uuid.UUID):
        """Replay: delivered again with the same idempotency key."""
        return outbox.replay(db_session(), current_actor(), message_id)
