"""Documents of resources: stored once by SHA-256, size-limited, type-checked, audited."""

from __future__ import annotations

import hashlib
import re
import uuid

import filetype
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import Document, Resource
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import Forbidden, NotFound, UnsupportedDocument
from gateway.services.inner import resources

MAX_BYTES = 8 * 1024 * 1024
ALLOWED_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "video/mp4",
    "audio/mpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
UNSAFE_FILENAME = re.compile(r"[^\w.\- ]+")


def _sniffed_type(content: bytes, declared: str) -> str:
    """The media type the content really has; it must be allowed and match the declared one."""
    guess = filetype.guess(content)
    media_type = guess.mime if guess is not None else None
    if media_type not in ALLOWED_TYPES:
        raise UnsupportedDocument("Documents may be PDF, PNG, JPEG, MP4, MP3, DOCX or PPTX.",
                                  allowed=sorted(ALLOWED_TYPES))
    if media_type != declared:
        raise UnsupportedDocument("The content does not match the declared Content-Type.")
    return media_type


def attach(session: Session, actor: Actor, resource_id: uuid.UUID, content: bytes,
           declared_type: str, filename: str | None = None) -> Resource:
    """Store a document for a resource the actor's institution owns (same bytes stored once)."""
    resource = resources.get_visible(session, actor, resource_id)
    if resource.owner_institution_id != actor.institution_id:
        raise Forbidden("Only the owner institution attaches documents.")
    if not content or len(content) > MAX_BYTES:
        raise UnsupportedDocument(f"A document has 1 to {MAX_BYTES} bytes.")
    media_type = _sniffed_type(content, declared_type)
    digest = hashlib.sha256(content).hexdigest()
    document = session.get(Document, digest)
    if document is None:
        document = Document(sha256=digest, media_type=media_type, size=len(content),
                            content=content)
        try:
            with session.begin_nested():
                session.add(document)
        except IntegrityError:  # the same bytes were stored concurrently: that copy serves
            document = session.get(Document, digest)
    resource.document = document
    resource.document_filename = UNSAFE_FILENAME.sub("_", filename or "")[:200] or None
    session.flush()
    journal.record(session, actor, "resource.document_attached", "resource", resource.id,
                   detail={"sha256": digest, "size": len(content), "media_type": media_type})
    return resource


def download(session: Session, actor: Actor, resource_id: uuid.UUID) -> tuple[Document, str]:
    """The document of a visible resource and a safe file name; the download is audited."""
    resource = resources.get_visible(session, actor, resource_id)
    if resource.document_sha256 is None:
        raise NotFound("This resource has no document.")
    document = session.get(Document, resource.document_sha256)
    assert document is not None
    journal.record(session, actor, "resource.document_downloaded", "resource", resource.id,
                   detail={"sha256": document.sha256})
    return document, resource.document_filename or f"{document.sha256[:16]}"
