"""Training resource wire schemas: create, search, views, documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.models import AudienceDimension, InstitutionKind, ResourceKind
from schemas.common import InputSchema, PageQuerySchema
from schemas.text import moment, text, zone_name

LANGUAGE = validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$",
                           error="a BCP 47 language tag such as zh-CN or en")
TAG = text(1, 64)


class AudienceSchema(InputSchema):
    """Who may see the resource; every non-empty list must match. Partners only, always."""

    partnership_ids = fields.List(fields.UUID(), load_default=list,
                                  validate=validate.Length(max=20))
    institution_kinds = fields.List(fields.Enum(InstitutionKind, by_value=True),
                                    load_default=list, validate=validate.Length(max=6))
    regions = fields.List(text(1, 64), load_default=list, validate=validate.Length(max=20))


class EventDetailsSchema(InputSchema):
    """When and where an event happens."""

    starts_at = moment(required=True)
    ends_at = moment(required=True)
    time_zone = zone_name(required=True)
    capacity = fields.Integer(required=True, validate=validate.Range(1, 10000))
    location = text(1, 300)
    online = fields.Boolean(load_default=False)


class ResourceCreateSchema(InputSchema):
    """A course, recording, document, lecture or event to share."""

    kind = fields.Enum(ResourceKind, by_value=True, required=True)
    title = text(1, 300, required=True)
    summary = text(1, 4000, required=True)
    language = fields.String(required=True, validate=LANGUAGE)
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))
    audience = fields.Nested(AudienceSchema, load_default=dict)
    event = fields.Nested(EventDetailsSchema, metadata={"description": "For kind=event only."})


class ResourceSearchQuerySchema(PageQuerySchema):
    """Search terms (all must match) and filters."""

    q = text(1, 100, metadata={"description": "Words in Chinese or English, e.g. 危机干预"})
    kind = fields.Enum(ResourceKind, by_value=True)
    language = fields.String(validate=LANGUAGE)
    tag = TAG
    owner_institution_id = fields.UUID()


def _document(resource) -> dict | None:
    document = resource.document
    if document is None:
        return None
    return {"sha256": document.sha256, "media_type": document.media_type, "size": document.size,
            "filename": resource.document_filename}


def _event(resource) -> dict | None:
    event = resource.event
    if event is None:
        return None
    return {"starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
            "time_zone": event.time_zone, "capacity": event.capacity,
            "location": event.location, "online": event.online}


def _audience(resource) -> dict:
    named: dict[str, list[str]] = {"partnership_ids": [], "institution_kinds": [], "regions": []}
    keys = {AudienceDimension.PARTNERSHIP: "partnership_ids",
            AudienceDimension.INSTITUTION_KIND: "institution_kinds",
            AudienceDimension.REGION: "regions"}
    for entry in resource.audience:
        named[keys[entry.dimension]].append(entry.value)
    return named


class ResourceSchema(Schema):
    """A resource as any institution that may see it sees it."""

    id = fields.UUID()
    owner_institution_id = fields.UUID()
    kind = fields.Enum(ResourceKind, by_value=True)
    title = fields.String()
    summary = fields.String()
    language = fields.String()
    tags = fields.Function(lambda r: [t.tag for t in r.tags], metadata={"type": "array"})
    document = fields.Function(_document, metadata={"type": ["object", "null"]})
    event = fields.Function(_event, metadata={"type": ["object", "null"]})
    created_at = fields.DateTime()


class ResourceOwnerSchema(ResourceSchema):
    """The owner's view adds the audience."""

    audience = fields.Function(_audience, metadata={"type": "object"})


class ResourcePageSchema(Schema):
    """A page of visible resources and how many visible resources match in all."""

    items = fields.List(fields.Nested(ResourceSchema))
    next_cursor = fields.String(allow_none=True)
    total = fields.Integer()
