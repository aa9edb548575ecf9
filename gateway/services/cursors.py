"""Keyset pagination over (timestamp, id), newest first, with opaque cursors."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from gateway.services.errors import InvalidInput


@dataclass(frozen=True)
class Page:
    """One page of items and the cursor of the next page, if any."""

    items: list[Any]
    next_cursor: str | None


def encode(moment: datetime, ident: uuid.UUID) -> str:
    """An opaque cursor for the position after (``moment``, ``ident``)."""
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), str(ident)]).encode()).decode()


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor names; :class:`InvalidInput` if this gateway did not issue it."""
    try:
        moment, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(ident)
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput("The cursor is not one this gateway issued.") from exc


def page(session: Session, query: Select, moment_col, id_col, cursor: str | None,
         limit: int) -> Page:
    """Run ``query`` newest first from ``cursor``; ``limit`` items and the next cursor."""
    if cursor:
        moment, ident = decode(cursor)
        query = query.where(or_(moment_col < moment, and_(moment_col == moment, id_col < ident)))
    rows = list(session.scalars(query.order_by(moment_col.desc(), id_col.desc()).limit(limit + 1)))
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return Page(items, encode(last.created_at, last.id) if last is not None else None)
