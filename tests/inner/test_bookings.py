"""Supervision and case-conference bookings over HTTP: availability, booking rules, lifecycle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.db import transaction
from gateway.models import OutboxMessage
from tests.circulation import (
    BOOKING_SCOPES,
    book,
    local_start,
    move_slot,
    new_supervisor,
    one_slot,
    publish,
)
from tests.support import bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def pair(make_partner, link, token_for):
    """A university offering supervision and a partner middle school, with their tokens."""
    university = make_partner("university", scopes=BOOKING_SCOPES)
    school = make_partner("middle_school", scopes=BOOKING_SCOPES)
    link(university, school, "supervision")
    return university, school, token_for(university), token_for(school)


def test_recurring_availability_is_expanded_in_the_supervisors_time_zone(client, pair):
    _university, _school, host_token, _ = pair
    supervisor = new_supervisor(client, host_token)
    start = local_start(days=3, hour=14)
    created = publish(client, host_token, supervisor["id"], kind="group", capacity=6,
                      local_start=start, rrule="FREQ=WEEKLY;COUNT=4", mode="on_site",
                      address="心理健康教育中心 201")
    assert created.status_code == 201, created.get_json()
    slots = created.get_json()
    assert len(slots) == 4 and len({slot["series_id"] for slot in slots}) == 1
    starts = [datetime.fromisoformat(slot["starts_at"]) for slot in slots]
    assert all(b - a == timedelta(weeks=1) for a, b in itertools.pairwise(starts))
    assert starts[0].astimezone(UTC).hour == 6  # 14:00 in Shanghai is 06:00 UTC
    assert slots[0]["local_start"].startswith(start) and slots[0]["local_start"].endswith("+08:00")

    overlapping = publish(client, host_token, supervisor["id"], local_start=start)
    assert overlapping.status_code == 409
    assert overlapping.mimetype == PROBLEM
    for refused in ("FREQ=DAILY", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
                    "FREQ=MONTHLY;BYDAY=+53MO;COUNT=2", "FREQ=WEEKLY;INTERVAL=0;COUNT=2"):
        assert publish(client, host_token, supervisor["id"], rrule=refused).status_code == 422
    listed = client.get(f"/api/v1/supervisors/{supervisor['id']}/slots",
                        headers=bearer(host_token)).get_json()
    assert [slot["id"] for slot in listed] == [slot["id"] for slot in slots]


def test_psychiatrists_supervise_from_hospitals(client, make_partner, token_for):
    hospital = make_partner("hospital", scopes=BOOKING_SCOPES)
    university = make_partner("university", scopes=BOOKING_SCOPES)
    assert new_supervisor(client, token_for(hospital), qualification="psychiatrist")
    refused = client.post("/api/v1/supervisors", headers=bearer(token_for(university)), json={
        "display_name": "李医生", "qualification": "psychiatrist", "credential": "主治医师",
        "time_zone": "Asia/Shanghai"})
    assert refused.status_code == 422


def test_only_supervision_partners_see_and_book(client, pair, make_partner, link, token_for,
                                                row_count):
    university, _school, host_token, school_token = pair
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"])
    stranger = make_partner("primary_school", scopes=BOOKING_SCOPES)
    referral_only = make_partner("middle_school", scopes=BOOKING_SCOPES)
    link(university, referral_only, "referral")
    for outsider in (stranger, referral_only):
        token = token_for(outsider)
        assert client.get("/api/v1/supervisors", headers=bearer(token)).get_json() == []
        assert client.get(f"/api/v1/slots/{slot['id']}", headers=bearer(token)).status_code == 404
        assert book(client, token, slot["id"]).status_code == 404
    assert row_count("bookings") == 0
    seen = client.get("/api/v1/supervisors", headers=bearer(school_token)).get_json()
    assert [s["id"] for s in seen] == [supervisor["id"]]


def test_full_slot_is_409_then_waitlist_moves_up_on_cancellation(client, app, pair):
    _university, school, host_token, school_token = pair
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"], kind="group", capacity=2)
    first = book(client, school_token, slot["id"], "staff-1").get_json()
    second = book(client, school_token, slot["id"], "staff-2").get_json()
    assert (first["seat"], second["seat"]) == (1, 2)
    assert {first["status"], second["status"]} == {"requested"}

    full = book(client, school_token, slot["id"], "staff-3")
    assert full.status_code == 409 and full.mimetype == PROBLEM
    assert full.get_json()["type"].endswith("/problems/slot-full")
    twice = book(client, school_token, slot["id"], "staff-1", join_waitlist=True)
    assert twice.status_code == 409
    waiting = book(client, school_token, slot["id"], "staff-3", join_waitlist=True).get_json()
    later = book(client, school_token, slot["id"], "staff-4", join_waitlist=True).get_json()
    assert (waiting["status"], waiting["seat"]) == ("waitlisted", None)

    cancelled = client.post(f"/api/v1/bookings/{first['id']}/cancel", headers=bearer(school_token))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    promoted = client.get(f"/api/v1/bookings/{waiting['id']}", headers=bearer(school_token))
    assert (promoted.get_json()["status"], promoted.get_json()["seat"]) == ("requested", 1)
    still = client.get(f"/api/v1/bookings/{later['id']}", headers=bearer(school_token)).get_json()
    assert still["status"] == "waitlisted"
    seats = client.get(f"/api/v1/slots/{slot['id']}", headers=bearer(school_token)).get_json()
    assert seats["seats_taken"] == 2
    with transaction(app) as session:
        topics = session.scalars(select(OutboxMessage.topic).where(
            OutboxMessage.recipient_institution_id == school.institution_id)).all()
    assert "booking.promoted" in topics


def test_cancellation_cut_off(client, pair):
    _university, _school, host_token, school_token = pair
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"], local_start=local_start(days=1.5),
                    cancel_cutoff_hours=72)
    booking = book(client, school_token, slot["id"]).get_json()
    late = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=bearer(school_token))
    assert late.status_code == 409 and late.mimetype == PROBLEM
    assert late.get_json()["type"].endswith("/problems/cancellation-cut-off")
    kept = client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(school_token))
    assert kept.get_json()["status"] == "requested"
    host_cancel = client.post(f"/api/v1/bookings/{booking['id']}/cancel",
                              headers=bearer(host_token))
    assert host_cancel.status_code == 403


def test_confirm_decline_attendance_and_supervision_hours(client, app, pair):
    _university, school, host_token, school_token = pair
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"], kind="group", capacity=3,
                    duration_minutes=90)
    came = book(client, school_token, slot["id"], "staff-1").get_json()
    absent = book(client, school_token, slot["id"], "staff-2").get_json()
    declined = book(client, school_token, slot["id"], "staff-3").get_json()

    assert client.post(f"/api/v1/bookings/{came['id']}/decision", json={"status": "confirmed"},
                       headers=bearer(school_token)).status_code == 403
    for booking in (came, absent):
        done = client.post(f"/api/v1/bookings/{booking['id']}/decision",
                           json={"status": "confirmed"}, headers=bearer(host_token))
        assert done.status_code == 200 and done.get_json()["status"] == "confirmed"
    no_reason = client.post(f"/api/v1/bookings/{declined['id']}/decision",
                            json={"status": "declined"}, headers=bearer(host_token))
    assert no_reason.status_code == 422
    refused = client.post(f"/api/v1/bookings/{declined['id']}/decision",
                          json={"status": "declined", "reason_code": "scope_mismatch"},
                          headers=bearer(host_token)).get_json()
    assert (refused["status"], refused["seat"]) == ("declined", None)
    with transaction(app) as session:
        reminders = session.scalars(select(OutboxMessage).where(
            OutboxMessage.topic == "booking.reminder")).all()
    starts = datetime.fromisoformat(slot["starts_at"])
    assert [r.next_attempt_at for r in reminders] == [starts - timedelta(hours=24)] * 2
    assert {r.recipient_institution_id for r in reminders} == {school.institution_id}

    early = client.post(f"/api/v1/bookings/{came['id']}/attendance", json={"status": "attended"},
                        headers=bearer(host_token))
    assert early.status_code == 409
    began = datetime.now(UTC) - timedelta(hours=2)
    move_slot(app, slot["id"], began)
    for booking, status in ((came, "attended"), (absent, "no_show")):
        recorded = client.post(f"/api/v1/bookings/{booking['id']}/attendance",
                               json={"status": status}, headers=bearer(host_token))
        assert recorded.status_code == 200 and recorded.get_json()["status"] == status

    period = {"from": (began - timedelta(days=1)).isoformat(),
              "until": (began + timedelta(days=1)).isoformat()}
    report = client.get("/api/v1/bookings/hours", query_string=period,
                        headers=bearer(school_token)).get_json()
    assert report["total_hours"] == 1.5
    assert report["people"] == [{"ref": "staff-1", "role": None, "hours": 1.5, "sessions": 1}]
    elsewhere = client.get("/api/v1/bookings/hours", headers=bearer(host_token),
                           query_string=period).get_json()
    assert elsewhere["total_hours"] == 0


def test_bookings_are_seen_by_booker_and_host_only(client, pair, make_partner, link, token_for):
    university, _school, host_token, school_token = pair
    other = make_partner("middle_school", scopes=BOOKING_SCOPES)
    link(university, other, "supervision")
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"])
    booking = book(client, school_token, slot["id"]).get_json()
    other_token = token_for(other)
    assert client.get(f"/api/v1/bookings/{booking['id']}",
                      headers=bearer(other_token)).status_code == 404
    assert client.post(f"/api/v1/bookings/{booking['id']}/cancel",
                       headers=bearer(other_token)).status_code == 404
    hosted = client.get("/api/v1/bookings?role=host", headers=bearer(host_token)).get_json()
    made = client.get("/api/v1/bookings", headers=bearer(school_token)).get_json()
    assert [b["id"] for b in hosted["items"]] == [b["id"] for b in made["items"]] == [booking["id"]]
    assert client.get("/api/v1/bookings", headers=bearer(other_token)).get_json()["items"] == []


def _next_offset_change(zone: ZoneInfo) -> datetime:
    """The first day, a week ahead or more, whose 14:00 has a new UTC offset."""
    day = datetime.now(zone).replace(hour=14, minute=0, second=0, microsecond=0, tzinfo=None)
    day += timedelta(days=8)
    while (day + timedelta(days=1)).replace(tzinfo=zone).utcoffset() == day.replace(
            tzinfo=zone).utcoffset():
        day += timedelta(days=1)
    return day + timedelta(days=1)


def test_recurrence_keeps_local_time_across_a_daylight_saving_change(client, pair):
    _university, _school, host_token, _ = pair
    berlin = ZoneInfo("Europe/Berlin")
    supervisor = new_supervisor(client, host_token, time_zone="Europe/Berlin")
    first = _next_offset_change(berlin) - timedelta(days=7)
    created = publish(client, host_token, supervisor["id"], local_start=first.isoformat(),
                      rrule="FREQ=WEEKLY;COUNT=2")
    assert created.status_code == 201, created.get_json()
    starts = [datetime.fromisoformat(slot["starts_at"]) for slot in created.get_json()]
    assert [s.astimezone(berlin).hour for s in starts] == [14, 14]
    assert starts[1] - starts[0] != timedelta(weeks=1)  # one hour more or less in UTC


def test_withdrawn_slot_cancels_its_bookings_and_frees_the_time(client, app, pair):
    _university, school, host_token, school_token = pair
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"])
    booking = book(client, school_token, slot["id"]).get_json()
    assert client.post(f"/api/v1/slots/{slot['id']}/cancel",
                       headers=bearer(school_token)).status_code == 403
    withdrawn = client.post(f"/api/v1/slots/{slot['id']}/cancel", headers=bearer(host_token))
    assert withdrawn.status_code == 200
    again = client.get(f"/api/v1/bookings/{booking['id']}", headers=bearer(school_token))
    assert (again.get_json()["status"], again.get_json()["seat"]) == ("cancelled", None)
    assert book(client, school_token, slot["id"], "staff-9").status_code == 409
    with transaction(app) as session:
        told = session.scalars(select(OutboxMessage.recipient_institution_id).where(
            OutboxMessage.topic == "slot.cancelled")).all()
    assert told == [school.institution_id]
    same_time = publish(client, host_token, supervisor["id"],
                        local_start=datetime.fromisoformat(slot["local_start"]).replace(
                            tzinfo=None).isoformat())
    assert same_time.status_code == 201
