"""Network administration: institutions and their OAuth clients (scope ``network:admin``)."""

from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.network import campuses, clients, directory, institutions, partnerships
from gateway.services.network.jwks_fetch import FetchPolicy
from schemas.campuses import (
    CampusCreateSchema,
    CampusGreenChannelSchema,
    CampusListSchema,
    CampusSchema,
)
from schemas.clients import ClientCreateSchema, ClientRegisteredSchema, ClientSchema
from schemas.directory import DirectoryEntrySchema, DirectoryEntrySetSchema
from schemas.institutions import InstitutionCreateSchema, InstitutionSchema
from schemas.partnerships import (
    PartnershipCreateSchema,
    PartnershipSchema,
    PartnershipStatusSchema,
)

blp = Blueprint("network", __name__, url_prefix="/api/v1/network",
                description="Institutions and clients of the network (coordinators).")


@blp.route("/institutions")
class Institutions(MethodView):
    """The members of the network."""

    @authenticated("network:admin")
    @blp.response(200, InstitutionSchema(many=True))
    def get(self):
        """List institutions."""
        return institutions.list_all(db_session())

    @authenticated("network:admin")
    @blp.arguments(InstitutionCreateSchema)
    @blp.response(201, InstitutionSchema)
    def post(self, body: dict):
        """Register an institution."""
        return institutions.register(db_session(), current_actor(), **body)


@blp.route("/institutions/<uuid:institution_id>/campuses")
class InstitutionCampuses(MethodView):
    """An institution's campuses."""

    @authenticated("network:admin")
    @blp.response(200, CampusListSchema)
    def get(self, institution_id):
        """List the institution's campuses."""
        return {"items": campuses.of_institution(db_session(), institution_id)}

    @authenticated("network:admin")
    @blp.arguments(CampusCreateSchema)
    @blp.response(201, CampusSchema)
    def post(self, body: dict, institution_id):
        """Add a campus (name, district, region, default green-channel recipient)."""
        return campuses.add(db_session(), current_actor(), institution_id, **body)


@blp.route("/campuses/<uuid:campus_id>/green-channel")
class CampusGreenChannel(MethodView):
    """Where a campus's green channel goes by default."""

    @authenticated("network:admin")
    @blp.arguments(CampusGreenChannelSchema)
    @blp.response(200, CampusSchema)
    def put(self, body: dict, campus_id):
        """Choose the hospital that serves the campus's district (null clears it)."""
        return campuses.set_green_channel(db_session(), current_actor(), campus_id,
                                          body["green_channel_recipient_id"])


@blp.route("/institutions/<uuid:institution_id>/directory")
class InstitutionDirectoryEntry(MethodView):
    """What an institution offers its referral partners."""

    @authenticated("network:admin")
    @blp.arguments(DirectoryEntrySetSchema)
    @blp.response(200, DirectoryEntrySchema)
    def put(self, body: dict, institution_id: uuid.UUID):
        """Set the services offered and the on-call hours (the on-call contact and the SLA
        are set with the institution's SLA)."""
        return directory.set_entry(db_session(), current_actor(), institution_id, **body)


@blp.route("/clients")
class Clients(MethodView):
    """OAuth clients of institutions."""

    @authenticated("network:admin")
    @blp.arguments(ClientCreateSchema)
    @blp.response(201, ClientRegisteredSchema)
    def post(self, body: dict):
        """Register a client; a generated secret is returned once and stored hashed.

        A ``private_key_jwt`` client gives its public ``jwks`` or a ``jwks_uri`` (https) that
        the gateway fetches now and again when an assertion names a key it does not know.
        """
        return clients.register(db_session(), current_actor(),
                                fetch_policy=FetchPolicy.from_config(current_app.config), **body)


@blp.route("/clients/<client_id>/revoke")
class ClientRevocation(MethodView):
    """Revoking a client stops its tokens at once."""

    @authenticated("network:admin")
    @blp.response(200, ClientSchema)
    def post(self, client_id: str):
        """Revoke a client."""
        return clients.revoke(db_session(), current_actor(), client_id)


@blp.route("/clients/<client_id>/reactivate")
class ClientReactivation(MethodView):
    """Reactivating a revoked client lets it get new tokens (old ones stay dead)."""

    @authenticated("network:admin")
    @blp.response(200, ClientSchema)
    def post(self, client_id: str):
        """Reactivate a revoked client (audited)."""
        return clients.reactivate(db_session(), current_actor(), client_id)


@blp.route("/partnerships")
class Partnerships(MethodView):
    """Agreements between institutions."""

    @authenticated("network:admin")
    @blp.response(200, PartnershipSchema(many=True))
    def get(self):
        """List partnerships."""
        return partnerships.list_for(db_session())

    @authenticated("network:admin")
    @blp.arguments(PartnershipCreateSchema)
    @blp.response(201, PartnershipSchema)
    def post(self, body: dict):
        """Propose a partnership; it allows nothing until approved."""
        return partnerships.propose(db_session(), current_actor(),
                                    institution_ids=tuple(body.pop("institution_ids")), **body)


@blp.route("/partnerships/<uuid:partnership_id>/status")
class PartnershipStatusChange(MethodView):
    """Approve, suspend, resume or end a partnership."""

    @authenticated("network:admin")
    @blp.arguments(PartnershipStatusSchema)
    @blp.response(200, PartnershipSchema)
    def post(self, body: dict, partnership_id):
        """Change a partnership's status; the API honours it at once."""
        return partnerships.change_status(db_session(), current_actor(), partnership_id,
                                          body["status"])
