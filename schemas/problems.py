"""Wire types of errors and of the OAuth endpoints, as documented in the OpenAPI document."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ProblemSchema(Schema):
    """RFC 9457 problem details; gateway extensions (``errors``, ``error``, …) may be added."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"format": "uri-reference",
                                   "description": "The problem type; about:blank by default."})
    title = fields.String(metadata={"description": "A short summary of the problem type."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    detail = fields.String(metadata={"description": "This occurrence, in plain words."})
    instance = fields.String(metadata={"format": "uri-reference"})
    request_id = fields.String(metadata={"description": "Also sent as X-Request-ID."})
    errors = fields.Dict(metadata={"description": "Refused fields, by location then field."})
    error = fields.String(metadata={"description": "The OAuth error code (RFC 6749 §5.2, "
                                                   "RFC 6750 §3.1), on a refusal of a token."})
    error_description = fields.String()


class TokenSchema(Schema):
    """RFC 6749 §5.1 access token response (client credentials)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["Bearer", "DPoP"]})
    expires_in = fields.Integer(required=True)
    scope = fields.String()


class IntrospectionSchema(Schema):
    """RFC 7662 introspection response."""

    class Meta:
        unknown = INCLUDE

    active = fields.Boolean(required=True)
    scope = fields.String()
    client_id = fields.String()
    token_type = fields.String()
    exp = fields.Integer()


class JWKSetSchema(Schema):
    """RFC 7517 JWK Set: the keys that verify tokens and audit checkpoints."""

    keys = fields.List(fields.Dict(), required=True)


class DocumentSchema(Schema):
    """A JSON document whose members are defined by the standard it follows."""

    class Meta:
        unknown = INCLUDE


class FHIRResourceSchema(Schema):
    """A FHIR R4 resource (Bundle, Task, ServiceRequest, Patient, Consent, Organization,
    CapabilityStatement or, on any error, OperationOutcome)."""

    class Meta:
        unknown = INCLUDE

    resourceType = fields.String(required=True)
