"""Referral lifecycle, keyset pagination and idempotent creation over the API."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from sqlalchemy import text, update

from gateway.db import engine_of
from gateway.models import Referral
from tests.support import assert_problem, bearer


def _transition(client, referral_id: str, token: str, **body: object):
    return client.post(f"/api/v1/referrals/{referral_id}/transitions", json=body,
                       headers=bearer(token))


def test_transition_the_lifecycle_does_not_allow_is_409(client, pair, referral, table_counts):
    before = table_counts()
    response = _transition(client, referral["id"], pair.hosp_token, status="completed")
    body = assert_problem(response, 409, slug="invalid-transition")
    assert body["current_status"] == "submitted"
    assert table_counts() == before


def test_a_decided_referral_cannot_be_decided_again(client, pair, referral):
    accepted = _transition(client, referral["id"], pair.hosp_token, status="accepted")
    assert accepted.status_code == 200
    again = _transition(client, referral["id"], pair.hosp_token, status="declined",
                        reason_code="no_capacity")
    assert assert_problem(again, 409)["current_status"] == "accepted"


def test_declining_needs_a_reason_code(client, pair, referral):
    response = _transition(client, referral["id"], pair.hosp_token, status="declined")
    assert_problem(response, 422, slug="invalid-input")
    declined = _transition(client, referral["id"], pair.hosp_token, status="declined",
                           reason_code="outside_catchment")
    assert declined.get_json()["decline_reason"] == "outside_catchment"


def test_the_sender_cannot_accept_its_own_referral(client, pair, referral, table_counts):
    before = table_counts()
    response = _transition(client, referral["id"], pair.uni_token, status="accepted")
    assert_problem(response, 403, slug="forbidden")
    assert table_counts() == before


def _page_through(client, token: str, box: str, limit: int) -> list[str]:
    ids, cursor, pages = [], None, 0
    while True:
        query = {"box": box, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/referrals", query_string=query, headers=bearer(token))
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        assert len(body["items"]) <= limit
        ids += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
        assert pages < 50, "pagination does not terminate"


def test_keyset_pagination_returns_every_referral_once(client, pair, grant_consent,
                                                       send_referral):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    sent = [send_referral(pair.uni_token, pair.hospital.institution_id).get_json()["id"]
            for _ in range(25)]
    inbox = _page_through(client, pair.hosp_token, "inbox", limit=7)
    assert sorted(inbox) == sorted(sent)
    assert len(inbox) == len(set(inbox)) == 25
    assert inbox == list(reversed(sent))  # newest first
    assert sorted(_page_through(client, pair.uni_token, "sent", limit=10)) == sorted(sent)
    assert _page_through(client, pair.uni_token, "inbox", limit=10) == []


def test_keyset_pagination_breaks_ties_on_equal_timestamps(app, client, pair, grant_consent,
                                                           send_referral):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    sent = {send_referral(pair.uni_token, pair.hospital.institution_id).get_json()["id"]
            for _ in range(12)}
    with engine_of(app).begin() as connection:
        connection.execute(update(Referral).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    inbox = _page_through(client, pair.hosp_token, "inbox", limit=5)
    assert sorted(inbox) == sorted(sent)
    assert len(inbox) == 12


def test_a_cursor_the_gateway_did_not_issue_is_422(client, pair):
    response = client.get("/api/v1/referrals?box=inbox&cursor=bm90LWEtY3Vyc29y",
                          headers=bearer(pair.hosp_token))
    assert_problem(response, 422, slug="invalid-input")


def test_a_cursor_without_a_time_zone_is_422_on_every_listing_path(client, pair, referral):
    naive = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00", referral["id"]]).encode()).decode()
    for extra in ("", "&risk_level=high"):
        response = client.get(f"/api/v1/referrals?box=inbox&cursor={naive}{extra}",
                              headers=bearer(pair.hosp_token))
        assert_problem(response, 422, slug="invalid-input")


def test_idempotency_key_replay_returns_the_same_referral(pair, grant_consent, send_referral,
                                                          row_count):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    key = {"Idempotency-Key": "retry-7f3a"}
    first = send_referral(pair.uni_token, pair.hospital.institution_id, headers=key)
    second = send_referral(pair.uni_token, pair.hospital.institution_id, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == f"/api/v1/referrals/{first.get_json()['id']}"
    assert row_count("referrals") == 1
    assert row_count("idempotency_records") == 1


def test_idempotency_key_reused_with_a_different_body_is_422(pair, grant_consent, send_referral,
                                                             table_counts):
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    key = {"Idempotency-Key": "retry-7f3a"}
    assert send_referral(pair.uni_token, pair.hospital.institution_id,
                         headers=key).status_code == 201
    before = table_counts()
    response = send_referral(pair.uni_token, pair.hospital.institution_id, headers=key,
                             priority="routine")
    assert_problem(response, 422, slug="idempotency-key-reused")
    assert table_counts() == before


def test_idempotency_keys_are_per_client(pair, make_partner, link, token_for, grant_consent,
                                         send_referral, row_count):
    other = make_partner("university")
    link(other, pair.hospital, "referral")
    other_token = token_for(other)
    for token in (pair.uni_token, other_token):
        assert grant_consent(token, pair.hospital.institution_id).status_code == 201
    key = {"Idempotency-Key": "shared-key"}
    first = send_referral(pair.uni_token, pair.hospital.institution_id, headers=key)
    second = send_referral(other_token, pair.hospital.institution_id, headers=key)
    assert first.get_json()["id"] != second.get_json()["id"]
    assert row_count("referrals") == 2


def test_reading_and_listing_are_audited_without_personal_data(client, pair, referral, app):
    client.get(f"/api/v1/referrals/{referral['id']}", headers=bearer(pair.hosp_token))
    with engine_of(app).connect() as connection:
        rows = connection.execute(text(
            "SELECT action, object_id, consent_id, detail FROM audit_entries ORDER BY seq")).all()
    actions = [row.action for row in rows]
    assert "referral.created" in actions
    assert "referral.read" in actions
    read = next(row for row in rows if row.action == "referral.read")
    assert read.object_id == referral["id"]
    assert read.consent_id == referral["consent_id"]
    dumped = " ".join(str(tuple(row)) for row in rows)
    assert "stu-2024-0042" not in dumped
    assert referral["summary"] not in dumped
