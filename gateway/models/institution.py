"""Institutions: the members of the network."""

from __future__ import annotations

import enum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, created_at, enum_type, uuid_pk


class InstitutionKind(enum.StrEnum):
    """What an institution is; drives what it may do (only hospitals diagnose)."""

    UNIVERSITY = "university"
    MIDDLE_SCHOOL = "middle_school"
    PRIMARY_SCHOOL = "primary_school"
    COMMUNITY_CENTRE = "community_centre"
    HOSPITAL = "hospital"
    COUNSELLING_AGENCY = "counselling_agency"


class Institution(Base):
    """A university, school, community centre, hospital or counselling agency."""

    __tablename__ = "institutions"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InstitutionKind] = mapped_column(enum_type(InstitutionKind))
    region: Mapped[str] = mapped_column(String(64), index=True)
    country: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(default=True)
    # recorded by the coordinator for the staff ratio of the reports (None: not recorded)
    student_count: Mapped[int | None]
    counsellor_count: Mapped[int | None]
    created_at: Mapped[created_at]

    @property
    def may_diagnose(self) -> bool:
        """Only medical institutions may record a diagnosis (Mental Health Law)."""
        return self.kind is InstitutionKind.HOSPITAL
