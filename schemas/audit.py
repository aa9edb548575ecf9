"""Wire types of the audit log API (RFC 6962 field names for proofs)."""

from __future__ import annotations

import base64

from marshmallow import Schema, fields, validate

from schemas.common import SUBJECT_REF, InputSchema

SIZE = fields.Integer(required=True, validate=validate.Range(0, 2**63 - 1))


class Base64Hash(fields.String):
    """A SHA-256 hash (bytes) on the wire as base64 (RFC 4648)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else base64.b64encode(value).decode()


BASE64_HASH = Base64Hash(metadata={"description": "A SHA-256 hash, base64 (RFC 4648)."})


class ProofQuerySchema(InputSchema):
    """``?tree_size=N``: a published checkpoint size."""

    tree_size = SIZE


class ConsistencyQuerySchema(InputSchema):
    """``?first=M&second=N``: two published checkpoint sizes, M ≤ N."""

    first = SIZE
    second = SIZE


class ConsistencySchema(Schema):
    """RFC 6962 ``get-sth-consistency`` output."""

    consistency = fields.List(BASE64_HASH)


class AuditEntrySchema(Schema):
    """An entry exactly as its leaf hashes it (ids and codes only)."""

    leaf_index = fields.Integer()
    recorded_at = fields.String()
    actor = fields.String()
    actor_institution_id = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    consent_id = fields.String(allow_none=True)
    outcome = fields.String()
    request_id = fields.String(allow_none=True)
    detail = fields.Dict()


class EntryProofSchema(Schema):
    """An entry with RFC 6962 ``get-proof-by-hash`` output against ``tree_size``."""

    entry = fields.Nested(AuditEntrySchema)
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = BASE64_HASH
    audit_path = fields.List(BASE64_HASH)


class CosignatureSchema(InputSchema):
    """A witness's cosignature line for the checkpoint of ``size``."""

    size = SIZE
    cosignature = fields.String(required=True, validate=validate.Length(1, 400))


class SplitViewSchema(InputSchema):
    """Two checkpoints a witness found inconsistent (the notes as received)."""

    earlier = fields.String(required=True, validate=validate.Length(0, 4000))
    later = fields.String(required=True, validate=validate.Length(1, 4000))
    reason = fields.String(load_default="", validate=validate.Length(0, 500))


class SplitViewReceiptSchema(Schema):
    """Whether both notes carry the log's own signature (a proof, not just a claim)."""

    signed_by_log = fields.Boolean()


class AccessReportQuerySchema(InputSchema):
    """Which of the calling institution's students."""

    subject_ref = SUBJECT_REF


class AccessLineSchema(Schema):
    """One access to the student's data."""

    leaf_index = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()
    actor = fields.String()
    actor_institution_id = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    purpose = fields.String(allow_none=True)
    consent_id = fields.String(allow_none=True)
    breakglass_id = fields.String(allow_none=True)
    outcome = fields.String()


class AccessReportSchema(Schema):
    """Every recorded exchange and read of one student's data, oldest first."""

    entries = fields.List(fields.Nested(AccessLineSchema))
