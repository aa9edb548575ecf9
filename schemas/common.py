"""Shared wire types."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

#: Field metadata marking personal data in an output schema (an OpenAPI ``x-`` extension); the
#: test that every personal-data route goes through the consent engine finds routes by it.
PERSONAL = {"x-personal-data": True}

SUBJECT_REF = fields.String(
    required=True,
    validate=[validate.Length(1, 64), validate.Regexp(r"^[A-Za-z0-9._:-]+$")],
    metadata={"description": "The sending institution's own pseudonymous student reference. "
                             "It is hashed at once and never stored or shown."},
)


class InputSchema(Schema):
    """Base of request bodies: unknown fields are an error."""

    class Meta:
        unknown = RAISE


class PageQuerySchema(InputSchema):
    """Keyset pagination parameters."""

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
