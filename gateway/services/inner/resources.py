"""Shared training resources: publish with an audience, search what one may see, read.

Visibility (applied in SQL, so searches and counts never reveal other resources): the owner sees
its own; another institution sees a resource only through an active partnership with the owner
that allows ``training_resources``, and only if it matches every audience dimension the owner
named (partnerships, institution kinds, regions). A dimension left empty does not narrow.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, column, exists, func, not_, or_, select, table
from sqlalchemy.orm import Session

from gateway.models import (
    AudienceDimension,
    Exchange,
    Institution,
    Partnership,
    Resource,
    ResourceAudience,
    ResourceKind,
    ResourceTag,
    TrainingEvent,
    utcnow,
)
from gateway.services import cursors
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.errors import InvalidInput, NotFound
from gateway.services.inner import supervisors
from gateway.services.network import institutions, partnerships

FTS = table("resources_fts", column("resource_id"), column("search_text"))


@dataclass(frozen=True)
class EventDetails:
    """When and where an event happens and how many may register."""

    starts_at: datetime
    ends_at: datetime
    time_zone: str
    capacity: int
    location: str | None = None
    online: bool = False


@dataclass(frozen=True)
class NewResource:
    """A resource to share (validated by the wire schema)."""

    kind: ResourceKind
    title: str
    summary: str
    language: str
    tags: list[str] = field(default_factory=list)
    partnership_ids: list[uuid.UUID] = field(default_factory=list)
    institution_kinds: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    event: EventDetails | None = None


@dataclass(frozen=True)
class SearchPage:
    """A page of visible resources, the next cursor and the number of visible matches."""

    items: list[Resource]
    next_cursor: str | None
    total: int


def _check_event(new: NewResource) -> None:
    if (new.kind is ResourceKind.EVENT) != (new.event is not None):
        raise InvalidInput("An event resource needs event details, and only an event has them.")
    if new.event is not None:
        now = utcnow()
        if new.event.ends_at <= new.event.starts_at or new.event.starts_at <= now:
            raise InvalidInput("An event starts in the future and ends after it starts.")
        if (new.event.ends_at - new.event.starts_at).days >= 7:
            raise InvalidInput("An event lasts less than a week.")


def create(session: Session, actor: Actor, new: NewResource) -> Resource:
    """Share a resource owned by the actor's institution."""
    owner = institutions.get_active(session, supervisors.own_institution(actor))
    _check_event(new)
    for partnership_id in new.partnership_ids:
        partnership = session.get(Partnership, partnership_id)
        if partnership is None or owner.id not in (partnership.institution_a_id,
                                                   partnership.institution_b_id):
            raise InvalidInput("The audience names a partnership the owner is not part of.")
    tags = sorted(set(new.tags))
    resource = Resource(owner_institution_id=owner.id, kind=new.kind, title=new.title,
                        summary=new.summary, language=new.language, created_by=actor.client_id,
                        search_text=" ".join([new.title, new.summary, *tags]))
    resource.tags = [ResourceTag(tag=tag) for tag in tags]
    resource.audience = [
        ResourceAudience(dimension=dimension, value=str(value))
        for dimension, values in ((AudienceDimension.PARTNERSHIP, new.partnership_ids),
                                  (AudienceDimension.INSTITUTION_KIND, new.institution_kinds),
                                  (AudienceDimension.REGION, new.regions))
        for value in sorted(set(values), key=str)
    ]
    session.add(resource)
    session.flush()
    if new.event is not None:
        session.add(TrainingEvent(resource_id=resource.id, **asdict(new.event)))
        session.flush()
    journal.record(session, actor, "resource.created", "resource", resource.id,
                   detail={"kind": new.kind.value, "audience": len(resource.audience)})
    return resource


def _dimension(dimension: AudienceDimension, values: list[str]) -> ColumnElement[bool]:
    named = ResourceAudience.resource_id == Resource.id, ResourceAudience.dimension == dimension
    return or_(not_(exists().where(*named)),
               exists().where(*named, ResourceAudience.value.in_(values)))


def visible_clause(session: Session, viewer: Institution) -> ColumnElement[bool]:
    """Which resources ``viewer`` may see, as a SQL condition."""
    partners = partnerships.partnerships_by_partner(session, viewer.id, Exchange.TRAINING_RESOURCES)
    partnership_ids = [str(pid) for ids in partners.values() for pid in ids]
    return or_(
        Resource.owner_institution_id == viewer.id,
        and_(Resource.owner_institution_id.in_(list(partners)),
             _dimension(AudienceDimension.PARTNERSHIP, partnership_ids),
             _dimension(AudienceDimension.INSTITUTION_KIND, [viewer.kind.value]),
             _dimension(AudienceDimension.REGION, [viewer.region])),
    )


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(session: Session, term: str) -> ColumnElement[bool]:
    """Substring search: pg_trgm-indexed ILIKE on PostgreSQL, FTS5 trigram on SQLite."""
    pattern = f"%{_escape_like(term)}%"
    if session.get_bind().dialect.name == "postgresql":
        return Resource.search_text.ilike(pattern, escape="\\")
    if len(term) >= 3:  # the trigram tokenizer matches phrases of three characters or more
        hit = FTS.c.search_text.op("MATCH")('"' + term.replace('"', '""') + '"')
    else:
        hit = FTS.c.search_text.like(pattern, escape="\\")
    return Resource.id.in_(select(FTS.c.resource_id).where(hit))


def search(session: Session, actor: Actor, *, q: str | None = None,
           kind: ResourceKind | None = None, language: str | None = None, tag: str | None = None,
           owner_institution_id: uuid.UUID | None = None, cursor: str | None = None,
           limit: int = 20) -> SearchPage:
    """Visible resources matching every term of ``q`` and the filters, newest first."""
    viewer = institutions.get_active(session, supervisors.own_institution(actor))
    conditions = [visible_clause(session, viewer)]
    conditions += [_matches(session, term) for term in (q or "").split()]
    if kind is not None:
        conditions.append(Resource.kind == kind)
    if language is not None:
        conditions.append(Resource.language == language)
    if owner_institution_id is not None:
        conditions.append(Resource.owner_institution_id == owner_institution_id)
    if tag is not None:
        conditions.append(exists().where(ResourceTag.resource_id == Resource.id,
                                         ResourceTag.tag == tag))
    total = session.scalar(select(func.count()).select_from(Resource).where(*conditions))
    page = cursors.page(session, select(Resource).where(*conditions), Resource.created_at,
                        Resource.id, cursor, limit)
    return SearchPage(page.items, page.next_cursor, total or 0)


def get_visible(session: Session, actor: Actor, resource_id: uuid.UUID) -> Resource:
    """A resource the actor may see; any other is 'not found'."""
    viewer = institutions.get_active(session, supervisors.own_institution(actor))
    resource = session.scalar(select(Resource).where(Resource.id == resource_id,
                                                     visible_clause(session, viewer)))
    if resource is None:
        raise NotFound("No resource with that id.")
    return resource
