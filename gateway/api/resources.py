"""Training resources: share, search, read; upload and download documents."""

from __future__ import annotations

import io
import uuid

from flask import request, send_file
from flask.views import MethodView

from gateway.api import Blueprint
from gateway.api.auth import authenticated, current_actor
from gateway.db import db_session
from gateway.services.inner import documents, resources
from schemas.common import InputSchema
from schemas.resources import (
    ResourceCreateSchema,
    ResourceOwnerSchema,
    ResourcePageSchema,
    ResourceSchema,
    ResourceSearchQuerySchema,
)
from schemas.text import text

blp = Blueprint("resources", __name__, url_prefix="/api/v1/resources",
                description="Shared training resources: courses, recordings, documents, "
                            "lectures and events.")

BINARY = {"schema": {"type": "string", "format": "binary"}}


class DocumentQuerySchema(InputSchema):
    """How the uploaded file is named."""

    filename = text(1, 200)


@blp.route("")
class Resources(MethodView):
    """Share and search."""

    @authenticated("resources:write")
    @blp.arguments(ResourceCreateSchema)
    @blp.response(201, ResourceOwnerSchema)
    def post(self, body: dict):
        """Share a resource owned by the calling institution, with its audience."""
        audience, event = body.pop("audience"), body.pop("event", None)
        created = resources.create(db_session(), current_actor(), resources.NewResource(
            **body, **audience, event=resources.EventDetails(**event) if event else None))
        return created, 201, {"Location": f"/api/v1/resources/{created.id}"}

    @authenticated("resources:read")
    @blp.arguments(ResourceSearchQuerySchema, location="query")
    @blp.response(200, ResourcePageSchema)
    def get(self, query: dict):
        """Search the resources the caller may see (Chinese or English), newest first."""
        return resources.search(db_session(), current_actor(), **query)


@blp.route("/<uuid:resource_id>")
class ResourceItem(MethodView):
    """One resource."""

    @authenticated("resources:read")
    @blp.response(200, ResourceSchema)
    def get(self, resource_id: uuid.UUID):
        """Read a resource the caller may see."""
        return resources.get_visible(db_session(), current_actor(), resource_id)


@blp.route("/<uuid:resource_id>/document")
class ResourceDocument(MethodView):
    """The resource's document, stored by SHA-256."""

    @authenticated("resources:write")
    @blp.doc(requestBody={
        "required": True, "content": {media: BINARY for media in sorted(documents.ALLOWED_TYPES)}})
    @blp.arguments(DocumentQuerySchema, location="query")
    @blp.response(200, ResourceOwnerSchema)
    def put(self, query: dict, resource_id: uuid.UUID):
        """Upload the document (owner only); its content must match its Content-Type."""
        request.max_content_length = documents.MAX_BYTES
        return documents.attach(db_session(), current_actor(), resource_id,
                                request.get_data(cache=False), request.mimetype,
                                query.get("filename"))

    @authenticated("resources:read")
    @blp.response(200, content_type="application/octet-stream",
                  description="The document's bytes, with its own media type.")
    def get(self, resource_id: uuid.UUID):
        """Download the document of a visible resource; the download is audited."""
        document, filename = documents.download(db_session(), current_actor(), resource_id)
        response = send_file(io.BytesIO(document.content), mimetype=document.media_type,
                             as_attachment=True, download_name=filename, etag=document.sha256,
                             conditional=False, max_age=None)
        response.headers["Cache-Control"] = "private, no-store"
        return response
