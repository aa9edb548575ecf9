"""Reach: which partners an institution may exchange with now, and under which partnerships."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.models import Exchange, Partnership, PartnershipStatus, utcnow


def partnerships_by_partner(session: Session, institution_id: uuid.UUID,
                            exchange: Exchange) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Partner institution id → ids of the partnerships with it that allow ``exchange`` now."""
    now = utcnow()
    rows = session.scalars(select(Partnership).where(
        or_(Partnership.institution_a_id == institution_id,
            Partnership.institution_b_id == institution_id),
        Partnership.status == PartnershipStatus.ACTIVE))
    reach: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for partnership in rows:
        if partnership.allows(exchange, now):
            other = (partnership.institution_b_id if partnership.institution_a_id == institution_id
                     else partnership.institution_a_id)
            reach[other].append(partnership.id)
    return dict(reach)
