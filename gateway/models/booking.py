"""Bookings of supervision and case-conference slots by counsellors of partner institutions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, utcnow, uuid_pk
from gateway.models.encrypted import EncryptedText


class BookingStatus(enum.StrEnum):
    """Where a booking stands; ``requested`` and later hold a seat, ``waitlisted`` does not."""

    WAITLISTED = "waitlisted"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = ("waitlisted", "requested", "confirmed", "attended", "no_show")


class Booking(Base):
    """A counsellor's seat (or waitlist place) in a slot.

    Seats are numbered 1..capacity and unique per slot, so the database itself refuses a second
    holder of a seat, whichever worker tried.

    Case material: ``case_summary`` is stored as given only when it was booked identified
    (``case_identified``, under the ``consent_id`` then in force), else scrubbed. The holder's
    ``case_subject_key`` lets every read ask the consent engine again whether the host may still
    see it identified (``services.case_material``).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("slot_id", "seat"),
        Index("uq_bookings_active_counsellor", "slot_id", "counsellor_key", unique=True,
              sqlite_where=text(f"status IN {ACTIVE_STATUSES}"),
              postgresql_where=text(f"status IN {ACTIVE_STATUSES}")),
        Index("ix_bookings_institution", "institution_id", "created_at"),
    )

    id: Mapped[uuid_pk]
    slot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("slots.id"))
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institutions.id"))
    campus_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campuses.id"))  # booker's
    counsellor_key: Mapped[str] = mapped_column(String(64))
    counsellor_ref: Mapped[str] = mapped_column(EncryptedText("bookings.counsellor_ref"))
    status: Mapped[BookingStatus] = mapped_column(enum_type(BookingStatus))
    seat: Mapped[int | None]
    case_summary: Mapped[str | None] = mapped_column(EncryptedText("bookings.case_summary"))
    case_subject_pseudonym: Mapped[str | None] = mapped_column(String(64))
    case_subject_key: Mapped[str | None] = mapped_column(String(64))
    case_identified: Mapped[bool] = mapped_column(default=False)
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    decline_reason: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
