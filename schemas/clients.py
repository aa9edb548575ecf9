"""OAuth client registration wire schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from gateway.models import AuthMethod
from gateway.services.network.clients import ASYMMETRIC_ALGS, SCOPES
from schemas.common import InputSchema


class ClientCreateSchema(InputSchema):
    """Register an institution's machine client."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    institution_id = fields.UUID(required=True)
    auth_method = fields.Enum(AuthMethod, by_value=True, load_default=AuthMethod.PRIVATE_KEY_JWT)
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(1, len(SCOPES)))
    allowed_algs = fields.List(fields.String(validate=validate.OneOf(ASYMMETRIC_ALGS)),
                               load_default=lambda: ["ES256"], validate=validate.Length(1, 5))
    jwks = fields.Dict(metadata={"description": "Public JWK Set (private_key_jwt only)"})
    jwks_uri = fields.String(validate=validate.Length(1, 2048), metadata={
        "description": "https URL of the public JWK Set, instead of jwks (private_key_jwt only); "
                       "the gateway fetches it now and again when an assertion names a new kid"})
    dpop_bound = fields.Boolean(load_default=False, metadata={
        "description": "Tokens bound to a key the client proves on each request (RFC 9449 "
                       "DPoP); a bound token is refused as a Bearer token"})


class ClientSchema(Schema):
    """A registered client; the secret appears only in the registration response."""

    client_id = fields.String()
    institution_id = fields.UUID(allow_none=True, metadata={
        "description": "None for a network-coordination client."})
    name = fields.String()
    auth_method = fields.Enum(AuthMethod, by_value=True)
    allowed_scopes = fields.List(fields.String(), data_key="scopes")
    allowed_algs = fields.List(fields.String())
    jwks_uri = fields.String(allow_none=True)
    jwks_fetched_at = fields.DateTime(allow_none=True)
    dpop_bound = fields.Boolean()
    active = fields.Boolean()
    created_at = fields.DateTime()


class ClientRegisteredSchema(ClientSchema):
    """The one-time registration response, dumped from a ``clients.Registration``."""

    client_secret = fields.String(
        metadata={"description": "Shown once, for client_secret_basic clients; stored hashed."}
    )

    def get_attribute(self, obj, attr, default):
        """Read the secret from the registration, everything else from its client."""
        return super().get_attribute(obj if attr == "client_secret" else obj.client, attr,
                                     default)

    @post_dump
    def _omit_absent_secret(self, data: dict, **_kwargs) -> dict:
        if data.get("client_secret") is None:
            data.pop("client_secret", None)
        return data
