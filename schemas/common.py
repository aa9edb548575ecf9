"""Shared wire types."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from schemas.storable import unstorable_text

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
    """Base of request bodies and queries: unknown fields are an error, and so is text a
    database cannot store anywhere (a NUL character, an unpaired surrogate), named by its
    dotted path (``identity.name``)."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_unstorable_text(self, data: object, **_kwargs: object) -> object:
        found = unstorable_text(data)
        if found:
            path, message = found
            raise ValidationError(message, path or "_schema")
        return data


class PageQuerySchema(InputSchema):
    """Keyset pagination parameters."""

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
