"""Break-glass: green channel without consent, justified, flagged, limited, time-boxed, reviewed."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import (
    Alert,
    AlertKind,
    AuditEntry,
    BreakGlassRelease,
    OutboxMessage,
    ReviewOutcome,
    utcnow,
)
from gateway.services.actor import Actor
from gateway.services.errors import InvalidTransition, NotFound
from gateway.services.privacy import breakglass
from tests.privacy_support import make_scene, personal_keys

REVIEWER = Actor.system("coordinator")

WHY = "Student on the roof edge, guardian unreachable; ambulance called, hospital must prepare."
EMERGENCY_SCOPES = ["referrals:read", "referrals:write", "referrals:emergency",
                    "consents:read", "consents:write"]


@pytest.fixture
def crisis(client, make_partner, token_for, link):
    """A scene whose university client holds ``referrals:emergency``."""
    return make_scene(client, make_partner, token_for, link, university_scopes=EMERGENCY_SCOPES)


def _emergency(scene, **extra):
    return scene.refer(["identity", "contact", "summary", "risk_assessment"],
                       priority="green_channel", emergency_justification=WHY, **extra)


def test_breakglass_releases_flags_alerts_and_queues_a_review(app, crisis):
    created = _emergency(crisis)
    assert created.status_code == 201, created.get_json()
    referral = created.get_json()
    assert referral["consent_id"] is None and referral["breakglass_id"]
    seen = crisis.read(referral["id"]).get_json()
    assert personal_keys(seen) == {"identity", "contact", "summary", "risk_assessment"}
    assert seen["access"]["basis"] == "breakglass" and "expires_at" in seen["access"]

    with transaction(app) as session:
        release = session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))
        assert release.expires_at - release.created_at == timedelta(hours=4)
        alert = session.scalar(select(OutboxMessage).where(
            OutboxMessage.topic == "breakglass.released"))
        assert alert.recipient_region == "r1"
        assert set(json.loads(alert.payload)) == {"release_id", "institution_id", "recipient_id",
                                                  "expires_at", "review_due_at", "alert_id"}
        tracked = session.get(Alert, uuid.UUID(json.loads(alert.payload)["alert_id"]))
        assert (tracked.kind, tracked.region, tracked.message_id) == (
            AlertKind.BREAKGLASS_RELEASED, "r1", alert.id)
        assert tracked.pseudonym == referral["subject_pseudonym"]
        flagged = list(session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["breakglass.released", "referral.created", "referral.read"]))))
        assert len(flagged) == 3
        assert all(entry.detail.get("breakglass") for entry in flagged)
        assert [r.id for r in breakglass.pending_reviews(session, "r1")] == [release.id]
        assert breakglass.pending_reviews(session, "elsewhere") == []


def test_breakglass_needs_scope_justification_and_green_channel(scene, crisis):
    assert _emergency(scene).status_code == 403  # no referrals:emergency scope
    no_reason = crisis.refer(priority="green_channel")
    assert no_reason.status_code == 403
    assert no_reason.get_json()["type"].endswith("/consent-required")
    routine = crisis.refer(priority="routine", emergency_justification=WHY)
    assert routine.status_code == 422
    too_short = crisis.refer(priority="green_channel", emergency_justification="urgent")
    assert too_short.status_code == 422


def test_breakglass_is_rate_limited_per_institution_in_the_database(app, crisis, row_count):
    for _ in range(3):
        assert _emergency(crisis).status_code == 201
    limited = _emergency(crisis)
    assert limited.status_code == 429
    assert limited.content_type == "application/problem+json"
    assert row_count("breakglass_releases") == 3
    with transaction(app) as session:
        for release in session.scalars(select(BreakGlassRelease)):
            release.created_at -= timedelta(hours=25)
    assert _emergency(crisis).status_code == 201


def test_breakglass_access_ends_after_its_window(app, crisis):
    referral = _emergency(crisis).get_json()
    with transaction(app) as session:
        release = session.get(BreakGlassRelease, uuid.UUID(referral["breakglass_id"]))
        release.expires_at = utcnow() - timedelta(seconds=1)
    seen = crisis.read(referral["id"]).get_json()
    assert personal_keys(seen) == set()
    assert seen["access"] == {"basis": "none"}


def test_review_records_outcome_and_unjustified_ends_access(app, crisis):
    referral = _emergency(crisis).get_json()
    release_id = uuid.UUID(referral["breakglass_id"])
    with transaction(app) as session:
        assert breakglass.overdue_reviews(session, "r1") == []
        later = utcnow() + timedelta(hours=73)
        assert [r.id for r in breakglass.overdue_reviews(session, "r1", later)] == [release_id]
        with pytest.raises(NotFound):
            breakglass.review(session, REVIEWER, release_id, ReviewOutcome.JUSTIFIED,
                              "ok", region="elsewhere")
        breakglass.review(session, Actor.system("coordinator:li"), release_id,
                          ReviewOutcome.UNJUSTIFIED, "Guardian was reachable by phone.",
                          region="r1")
    with transaction(app) as session:
        assert breakglass.pending_reviews(session, "r1") == []
        with pytest.raises(InvalidTransition):
            breakglass.review(session, REVIEWER, release_id, ReviewOutcome.JUSTIFIED, "x")
        audit = session.scalar(select(AuditEntry).where(
            AuditEntry.action == "breakglass.reviewed"))
        assert audit.detail == {"breakglass": True, "outcome": "unjustified"}
    assert personal_keys(crisis.read(referral["id"]).get_json()) == set()


def test_breakglass_never_serves_another_purpose(crisis):
    referral = _emergency(crisis).get_json()
    assert referral["breakglass_id"]
    # the open release does not stand in for consent to a routine referral of the same student
    assert crisis.refer(priority="routine").status_code == 403
