"""Reading the audit log for coordinators: filters, region scope and JSON-lines export."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, Coordinator
from gateway.services.audit.sequencer import entry_document
from gateway.services.coordination import tenancy


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; empty fields do not filter."""

    institution_id: uuid.UUID | None = None
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_detail(self) -> dict:
        """The filter as audit detail (ids and codes only)."""
        return {k: str(v) for k, v in self.__dict__.items() if v}


def _region_scope(session: Session, coordinator: Coordinator):
    """Entries by or about the coordinator's institutions, clients, partnerships, colleagues."""
    ids = tenancy.region_institution_ids(session, coordinator)
    if ids is None:
        return None
    institution_ids = [str(i) for i in ids]
    objects = institution_ids + [
        c.client_id for c in tenancy.client_list(session, coordinator)]
    objects += [str(p.id) for p in tenancy.partnership_list(session, coordinator)]
    colleagues = session.scalars(select(Coordinator).where(
        Coordinator.region == coordinator.scope_region))
    return or_(AuditEntry.actor_institution_id.in_(institution_ids),
               AuditEntry.object_id.in_(objects),
               AuditEntry.actor.in_([c.label for c in colleagues]))


def _query(session: Session, coordinator: Coordinator, wanted: AuditFilter) -> Select:
    query = select(AuditEntry)
    scope = _region_scope(session, coordinator)
    if scope is not None:
        query = query.where(scope)
    if wanted.institution_id:
        ident = str(wanted.institution_id)
        query = query.where(or_(AuditEntry.actor_institution_id == ident,
                                AuditEntry.object_id == ident))
    if wanted.actor:
        query = query.where(AuditEntry.actor == wanted.actor)
    if wanted.action:
        query = query.where(AuditEntry.action.startswith(wanted.action, autoescape=True))
    if wanted.object_type:
        query = query.where(AuditEntry.object_type == wanted.object_type)
    if wanted.object_id:
        query = query.where(AuditEntry.object_id == wanted.object_id)
    if wanted.since:
        query = query.where(AuditEntry.recorded_at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEntry.recorded_at < wanted.until)
    return query


def may_see(session: Session, coordinator: Coordinator, entry: AuditEntry) -> bool:
    """Whether ``entry`` is one the audit viewer would show this coordinator."""
    scope = _region_scope(session, coordinator)
    if scope is None:
        return True
    return session.scalar(select(AuditEntry.seq).where(AuditEntry.seq == entry.seq, scope)) \
        is not None


def search(session: Session, coordinator: Coordinator, wanted: AuditFilter,
           limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    """The newest matching entries the coordinator may see, skipping the ``offset`` newest."""
    query = (_query(session, coordinator, wanted).order_by(AuditEntry.seq.desc())
             .offset(offset).limit(limit))
    return list(session.scalars(query))


def coordinator_label(session: Session, email: str) -> str | None:
    """The audit label of the coordinator with that e-mail, or None."""
    found = session.scalars(select(Coordinator).where(
        Coordinator.email == email.strip().lower())).first()
    return found.label if found else None


def export_rows(session: Session, coordinator: Coordinator,
                wanted: AuditFilter) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first (for the CSV export)."""
    yield from session.scalars(_query(session, coordinator, wanted).order_by(AuditEntry.seq))


def export_lines(session: Session, coordinator: Coordinator,
                 wanted: AuditFilter) -> Iterator[str]:
    """Every matching entry, oldest first, as JSON lines: each exactly as its leaf hashes it
    (``leaf_index`` null until sequenced), so it can be checked with an inclusion proof."""
    query = _query(session, coordinator, wanted).order_by(AuditEntry.seq)
    for entry in session.scalars(query):
        yield json.dumps(entry_document(entry), ensure_ascii=False, sort_keys=True) + "\n"
