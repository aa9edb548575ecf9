"""A hospital's Task update (FHIR ``PUT Task/{id}``): a status change or an interim update.

The FHIR view only parses; this decides. The same status as now with a business status or a
note is interim feedback (:func:`lifecycle.post_update_locked`); another status is a lifecycle
transition (:func:`lifecycle.transition_locked`). ``If-Match`` is checked here, under the row
lock, which the lifecycle step then works under (the row is read once).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from gateway.services.actor import Actor
from gateway.services.errors import VersionMismatch
from gateway.services.privacy import disclosure
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import access, lifecycle


def apply(session: Session, actor: Actor, referral_id: uuid.UUID,
          change: lifecycle.Transition, *, expected_version: int | None,
          policy: Policy) -> dict:
    """Apply ``change`` to the referral and return the actor's view of it afterwards.

    :class:`VersionMismatch` if ``expected_version`` (the client's ``If-Match``) is not the
    current version.
    """
    locked = access.lock_visible(session, actor, referral_id)  # held to the end
    referral = locked.referral
    if expected_version is not None and referral.version != expected_version:
        raise VersionMismatch(f"The Task is at version {referral.version}.",
                              current_version=referral.version)
    if change.status is not referral.status:
        lifecycle.transition_locked(session, actor, referral, change, policy=policy)
    elif change.business_status or change.note:
        lifecycle.post_update_locked(session, actor, referral, lifecycle.Update(
            business_status=change.business_status, note=change.note), policy=policy)
    return disclosure.disclose(session, actor, referral, policy=policy)
