"""Attachment wire schemas (the upload body is the raw file)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import InputSchema


class AttachmentQuerySchema(InputSchema):
    """The upload's file name (the content type is the request's Content-Type)."""

    filename = fields.String(required=True, validate=[validate.Length(1, 200),
                                                      validate.Regexp(r"^[^/\\\x00-\x1f]+$")])


class AttachmentSchema(Schema):
    """Attachment metadata."""

    id = fields.UUID()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()
