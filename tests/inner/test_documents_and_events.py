"""Documents stored by SHA-256 with authorised, audited downloads; events and training hours."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from gateway.db import transaction
from gateway.models import AuditEntry, TrainingEvent
from tests.inner.test_resources import RESOURCE_SCOPES, share
from tests.support import bearer

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.fixture
def sharing(make_partner, link, token_for):
    """A community centre sharing with a partner primary school; a university outside."""
    centre = make_partner("community_centre", scopes=RESOURCE_SCOPES)
    school = make_partner("primary_school", scopes=RESOURCE_SCOPES)
    outsider = make_partner("university", scopes=RESOURCE_SCOPES)
    link(centre, school, "training_resources")
    return centre, school, token_for(centre), token_for(school), token_for(outsider)


def _upload(client, token, resource_id, content, media_type, filename="讲义.pdf"):
    return client.put(f"/api/v1/resources/{resource_id}/document?filename={filename}",
                      data=content, content_type=media_type, headers=bearer(token))


def test_documents_are_content_addressed_type_checked_and_downloads_audited(
        client, app, sharing, row_count):
    _centre, school, centre_token, school_token, outsider_token = sharing
    first = share(client, centre_token, "心理危机识别讲义", kind="document")
    second = share(client, centre_token, "同一讲义 副本", kind="document")
    digest = hashlib.sha256(PDF).hexdigest()
    for resource in (first, second):
        stored = _upload(client, centre_token, resource["id"], PDF, "application/pdf")
        assert stored.status_code == 200, stored.get_json()
        assert stored.get_json()["document"]["sha256"] == digest
    assert row_count("documents") == 1

    assert _upload(client, centre_token, first["id"], PDF, "image/png").status_code == 415
    plain = _upload(client, centre_token, first["id"], b"plain text", "text/plain")
    assert plain.status_code == 415
    assert _upload(client, school_token, first["id"], PNG, "image/png").status_code == 403
    too_big = _upload(client, centre_token, first["id"], PDF + b"0" * (8 * 1024 * 1024),
                      "application/pdf")
    assert too_big.status_code == 413

    download = client.get(f"/api/v1/resources/{first['id']}/document",
                          headers=bearer(school_token))
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf" and download.headers["ETag"] == f'"{digest}"'
    assert "filename*=UTF-8''%E8%AE%B2%E4%B9%89.pdf" in download.headers["Content-Disposition"]
    larger = PDF + b"%" * 300_000  # above the JSON body limit, within the document limit
    assert _upload(client, centre_token, second["id"], larger, "application/pdf").status_code == 200
    hidden = client.get(f"/api/v1/resources/{first['id']}/document",
                        headers=bearer(outsider_token))
    assert hidden.status_code == 404
    with transaction(app) as session:
        downloads = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "resource.document_downloaded")).all()
    assert [(d.object_id, d.actor_institution_id) for d in downloads] == [
        (first["id"], str(school.institution_id))]


def _event(client, token, capacity=2, hours=3):
    starts = datetime.now(UTC) + timedelta(days=20)
    return share(client, token, "5·25 大学生心理健康日 培训", kind="event", event={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "time_zone": "Asia/Shanghai", "capacity": capacity, "location": "社区中心礼堂"})


def _register(client, token, event_id, ref, role="class_committee_member"):
    return client.post(f"/api/v1/events/{event_id}/registrations", headers=bearer(token),
                       json={"participant_ref": ref, "role": role})


def test_event_capacity_registration_attendance_and_training_hours(client, app, sharing):
    centre, school, centre_token, school_token, outsider_token = sharing
    event = _event(client, centre_token)
    assert event["event"]["capacity"] == 2
    missing = client.post("/api/v1/resources", headers=bearer(centre_token), json={
        "kind": "event", "title": "无日程", "summary": "x", "language": "zh-CN"})
    assert missing.status_code == 422

    first = _register(client, school_token, event["id"], "t-1").get_json()
    second = _register(client, school_token, event["id"], "t-2", "dormitory_officer").get_json()
    assert _register(client, school_token, event["id"], "t-1").status_code == 409
    assert _register(client, school_token, event["id"], "t-3").status_code == 409  # full
    assert _register(client, outsider_token, event["id"], "u-1").status_code == 404
    cancelled = client.post(f"/api/v1/events/{event['id']}/registrations/{second['id']}/cancel",
                            headers=bearer(school_token))
    assert cancelled.status_code == 200
    third = _register(client, school_token, event["id"], "t-3", "counsellor").get_json()

    attend = f"/api/v1/events/{event['id']}/registrations/{first['id']}/attendance"
    assert client.post(attend, json={"attended": True},
                       headers=bearer(centre_token)).status_code == 409  # not begun
    began = datetime.now(UTC) - timedelta(hours=4)
    with transaction(app) as session:
        session.execute(update(TrainingEvent).where(
            TrainingEvent.resource_id == uuid.UUID(event["id"])).values(
            starts_at=began, ends_at=began + timedelta(hours=3)))
    assert client.post(attend, json={"attended": True},
                       headers=bearer(school_token)).status_code == 403
    for registration, came in ((first, True), (third, False)):
        recorded = client.post(
            f"/api/v1/events/{event['id']}/registrations/{registration['id']}/attendance",
            json={"attended": came}, headers=bearer(centre_token))
        assert recorded.status_code == 200
    organiser_view = client.get(f"/api/v1/events/{event['id']}/registrations",
                                headers=bearer(centre_token)).get_json()
    assert sorted(r["status"] for r in organiser_view) == ["absent", "attended", "cancelled"]

    period = {"from": (began - timedelta(days=1)).isoformat(),
              "until": (began + timedelta(days=1)).isoformat()}
    report = client.get("/api/v1/events/hours", query_string=period,
                        headers=bearer(school_token)).get_json()
    assert report["institution_id"] == str(school.institution_id)
    assert report["total_hours"] == 3.0
    assert report["people"] == [{"ref": "t-1", "role": "class_committee_member", "hours": 3.0,
                                 "sessions": 1}]
    organiser = client.get("/api/v1/events/hours", query_string=period,
                           headers=bearer(centre_token)).get_json()
    assert organiser["total_hours"] == 0 and organiser["institution_id"] == str(
        centre.institution_id)
