"""Where and in which format the gateway pushes messages to an institution or region."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, uuid_pk
from gateway.models.encrypted import EncryptedText


class DeliveryEndpoint(Base):
    """A push endpoint: an adapter format (one module in ``adapters/``), a URL and a secret."""

    __tablename__ = "delivery_endpoints"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) <> (region IS NULL)", name="one_addressee"),
    )

    id: Mapped[uuid_pk]
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institutions.id"),
                                                             unique=True)
    region: Mapped[str | None] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(EncryptedText("delivery_endpoints.secret"))
    created_at: Mapped[created_at]
