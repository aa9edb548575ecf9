"""Revocation takes effect at once; searches and counts reveal nothing consent withholds."""

from __future__ import annotations

import json

from click.testing import Result

from gateway.db import transaction
from gateway.models import AuditEntry, OutboxMessage
from tests.privacy_support import personal_keys
from tests.support import bearer


def _inbox(scene, token=None, **query):
    response = scene.client.get("/api/v1/referrals", query_string={"box": "inbox",
                                                                   "total": "true", **query},
                                headers=bearer(token or scene.hosp_token))
    assert response.status_code == 200
    return response.get_json()


def test_revocation_withdraws_minimises_and_notifies(app, scene):
    consent = scene.consent(["identity", "clinical_notes"]).get_json()
    referral = scene.refer().get_json()
    assert personal_keys(scene.read(referral["id"]).get_json()) == {"identity", "summary"}

    revoked = scene.revoke(consent["id"])
    assert revoked.status_code == 200
    assert revoked.get_json()["revocation_reason"] == "student withdrew"

    seen = scene.read(referral["id"]).get_json()
    assert seen["status"] == "withdrawn"
    assert personal_keys(seen) == set() and seen["released_categories"] == []
    assert [i["id"] for i in _inbox(scene)["items"]] == [referral["id"]]
    assert personal_keys(_inbox(scene)["items"][0]) == set()
    assert scene.refer().status_code == 403
    # the sender's own record and the history stay
    own = scene.read(referral["id"], token=scene.uni_token).get_json()
    assert personal_keys(own) == {"identity", "summary"}
    with transaction(app) as session:
        messages = session.query(OutboxMessage).filter_by(topic="referral.withdrawn").all()
        assert [m.recipient_institution_id for m in messages] == [scene.hosp.institution_id]
        notice = json.loads(messages[0].payload)["referral"]
        assert (notice["id"], notice["status"]) == (referral["id"], "withdrawn")
        assert personal_keys(notice) == set() and notice["released_categories"] == []
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    assert actions.index("consent.revoked") < actions.index("referral.withdrawn")
    result: Result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_revocation_keeps_referrals_another_consent_still_covers(scene):
    first = scene.consent().get_json()
    scene.consent(["identity", "clinical_notes", "contact"])
    referral = scene.refer().get_json()
    scene.revoke(first["id"])
    seen = scene.read(referral["id"]).get_json()
    assert seen["status"] == "submitted"
    assert personal_keys(seen) == {"identity", "summary"}


def test_revoking_another_purpose_leaves_the_referral(scene):
    scene.consent()
    follow_up = scene.consent(purpose="follow_up").get_json()
    referral = scene.refer().get_json()
    scene.revoke(follow_up["id"])
    assert scene.read(referral["id"]).get_json()["status"] == "submitted"


def test_search_filters_and_counts_apply_consent_and_tenancy(scene, make_partner, token_for,
                                                            link):
    consent = scene.consent(["identity", "clinical_notes", "risk_assessment"]).get_json()
    scene.refer(["identity", "summary", "risk_assessment"])
    scene.refer(["identity", "summary"])
    assert _inbox(scene)["total"] == 2
    high = _inbox(scene, risk_level="high")
    assert len(high["items"]) == 1
    assert (high["total"], high["counts_by_priority"]) == (None, None)  # not countable
    assert _inbox(scene, risk_level="low")["items"] == []

    stranger = make_partner("hospital", scopes=["referrals:read"])
    link(scene.uni, stranger, "referral")
    assert _inbox(scene, token_for(stranger), risk_level="high") == {
        "items": [], "next_cursor": None, "total": None, "counts_by_priority": None}
    assert _inbox(scene, token_for(stranger))["total"] == 0

    scene.revoke(consent["id"])
    after = _inbox(scene, risk_level="high")
    assert (after["items"], after["next_cursor"]) == ([], None)
    assert _inbox(scene)["total"] == 2  # the records are still there, minimised
    sent = scene.client.get("/api/v1/referrals", query_string={"box": "sent",
                                                               "risk_level": "high"},
                            headers=bearer(scene.uni_token)).get_json()
    assert len(sent["items"]) == 1  # the holder filters its own data


def test_protected_filter_pages_with_a_cursor(scene):
    scene.consent(["identity", "clinical_notes", "risk_assessment"])
    ids = [scene.refer(["identity", "summary", "risk_assessment"]).get_json()["id"]
           for _ in range(3)]
    first = _inbox(scene, risk_level="high", limit=2)
    assert first["total"] is None and len(first["items"]) == 2
    rest = _inbox(scene, risk_level="high", limit=2, cursor=first["next_cursor"])
    assert rest["next_cursor"] is None
    assert sorted(i["id"] for i in first["items"] + rest["items"]) == sorted(ids)


def test_total_is_counted_only_when_asked_for(scene):
    scene.consent()
    scene.refer()
    assert _inbox(scene)["total"] == 1
    assert _inbox(scene, total="false")["total"] is None
