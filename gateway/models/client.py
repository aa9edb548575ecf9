"""OAuth clients of institutions, used client-assertion ids and revoked access tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, created_at, enum_type
from gateway.models.institution import Institution


class AuthMethod(enum.StrEnum):
    """How a client authenticates at the token endpoint."""

    PRIVATE_KEY_JWT = "private_key_jwt"
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name


class Client(Base):
    """A machine client of an institution (or of the network's coordination when admin)."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institutions.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    auth_method: Mapped[AuthMethod] = mapped_column(enum_type(AuthMethod))
    secret_hash: Mapped[str | None] = mapped_column(String(256))
    jwks: Mapped[dict | None] = mapped_column(JSON)  # pasted, or the cached copy of jwks_uri's
    jwks_uri: Mapped[str | None] = mapped_column(String(2048))
    jwks_fetched_at: Mapped[datetime | None]
    # the last refetch prompted by an unknown kid, so refetches are rare on every worker
    jwks_refetched_at: Mapped[datetime | None]
    allowed_algs: Mapped[list[str]] = mapped_column(JSON)
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    # RFC 9449: its tokens are bound to a key it proves on every request (DPoP), never Bearer
    dpop_bound: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[created_at]
    revoked_at: Mapped[datetime | None]

    institution: Mapped[Institution | None] = relationship(lazy="joined")


class UsedAssertion(Base):
    """A client assertion ``jti`` already spent; kept until the assertion expires."""

    __tablename__ = "used_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    jti: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedDpopProof(Base):
    """A DPoP proof ``jti`` already spent by a client; kept until the proof is too old anyway."""

    __tablename__ = "used_dpop_proofs"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    jti: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class RevokedToken(Base):
    """The access-token deny-list, keyed by ``jti``; rows can go once the token expired."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[created_at]
