"""Shared wire types."""

from __future__ import annotations

from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

#: Field metadata marking personal data in an output schema (an OpenAPI ``x-`` extension); the
#: test that every personal-data route goes through the consent engine finds routes by it.
PERSONAL = {"x-personal-data": True}

SUBJECT_REF = fields.String(
    required=True,
    validate=[validate.Length(1, 64), validate.Regexp(r"^[A-Za-z0-9._:-]+$")],
    metadata={"description": "The sending institution's own pseudonymous student reference. "
                             "It is hashed at once and never stored or shown."},
)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


class InputSchema(Schema):
    """Base of request bodies and queries: unknown fields are an error, and so is a NUL
    character anywhere (no field means one, and PostgreSQL text cannot store it)."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_nul(self, data: object, **_kwargs: object) -> object:
        if isinstance(data, Mapping):
            for name, value in data.items():
                if _holds_nul(name) or _holds_nul(value):
                    raise ValidationError("Text may not contain NUL characters.", str(name))
        return data


class PageQuerySchema(InputSchema):
    """Keyset pagination parameters."""

    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
