"""Referral attachments: size limit, content-type allow-list, encrypted at rest, SHA-256."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Attachment, Purpose
from gateway.services import outbox
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import ConsentRequired, InvalidInput, InvalidTransition, NotFound
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access

# Allowed types and the leading bytes their content must start with (None: any text).
ALLOWED_TYPES: dict[str, bytes | None] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "text/plain": None,
}


@dataclass(frozen=True)
class Download:
    """An attachment's metadata and its verified content."""

    attachment: Attachment
    content: bytes


def _check_content(content_type: str, data: bytes, max_bytes: int) -> None:
    if not data:
        raise InvalidInput("The attachment is empty.")
    if len(data) > max_bytes:
        raise InvalidInput(f"An attachment may have at most {max_bytes} bytes.")
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput("This content type is not allowed.",
                           allowed=sorted(ALLOWED_TYPES))
    magic = ALLOWED_TYPES[content_type]
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("text/plain attachments must be UTF-8.") from exc
    elif not data.startswith(magic):
        raise InvalidInput("The content does not match its declared type.")


def add(session: Session, actor: Actor, referral_id: uuid.UUID, *, filename: str,
        content_type: str, data: bytes, max_bytes: int) -> Attachment:
    """Attach a file to an open referral (either party); the other side is told."""
    referral = access.get_visible(session, actor, referral_id, for_update=True)
    if referral.status.is_final:
        raise InvalidTransition("A closed referral takes no attachments.",
                                current_status=referral.status.value)
    _check_content(content_type, data, max_bytes)
    attachment = Attachment(referral_id=referral.id, filename=filename,
                            content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(),
                            content=base64.b64encode(data).decode(),
                            uploaded_by=actor.label, uploader_institution_id=actor.institution_id)
    session.add(attachment)
    session.flush()
    journal.record(session, actor, "referral.attachment_added", "referral", referral.id,
                   purpose=Purpose.REFERRAL.value, consent_id=referral.consent_id,
                   detail={"attachment_id": str(attachment.id), "size": attachment.size,
                           "content_type": content_type, "sha256": attachment.sha256})
    other = (referral.recipient_id if actor.institution_id == referral.sender_id
             else referral.sender_id)
    if referral.status.value != "draft":
        outbox.enqueue(session, "referral.attachment_added", {
            "event": "referral.attachment_added", "referral_id": str(referral.id),
            "attachment": {"id": str(attachment.id), "content_type": content_type,
                           "size": attachment.size, "sha256": attachment.sha256}},
            institution_id=other)
    return attachment


def list_for(session: Session, actor: Actor, referral_id: uuid.UUID) -> list[Attachment]:
    """Attachment metadata of a referral the actor may see."""
    referral = access.get_visible(session, actor, referral_id)
    return list(session.scalars(select(Attachment).where(Attachment.referral_id == referral.id)
                                .order_by(Attachment.created_at)))


def fetch(session: Session, actor: Actor, referral_id: uuid.UUID,
          attachment_id: uuid.UUID, *, policy: Policy) -> Download:
    """Decrypt an attachment and check its checksum; the access is audited.

    Attachments count as clinical notes: the other party needs a consent releasing them.
    """
    referral = access.get_visible(session, actor, referral_id)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.referral_id != referral.id:
        raise NotFound("No attachment with that id.")
    if attachment.uploader_institution_id != actor.institution_id and \
            not access.notes_visible(session, referral, actor.institution_id, policy=policy):
        raise ConsentRequired("No consent in force releases this attachment to the caller.")
    content = base64.b64decode(attachment.content)
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise RuntimeError("attachment failed its integrity check")
    journal.record(session, actor, "referral.attachment_read", "referral", referral.id,
                   purpose=Purpose.REFERRAL.value, consent_id=referral.consent_id,
                   detail={"attachment_id": str(attachment.id)})
    return Download(attachment, content)
