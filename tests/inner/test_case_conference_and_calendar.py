"""Case material under consent, and iCalendar export parsed back with ``icalendar``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tests.circulation import BOOKING_SCOPES, book, new_supervisor, one_slot
from tests.support import bearer

CASE = ("初二学生，身份证号11010120080101123X，电话13812345678，邮箱li.ming@example.cn，"  # noqa: RUF001
        "withdrawn since October.")


@pytest.fixture
def conference(client, make_partner, link, token_for):
    """A hospital psychiatrist's case conference, and a partner middle school's token."""
    hospital = make_partner("hospital", scopes=BOOKING_SCOPES)
    school = make_partner("middle_school", scopes=BOOKING_SCOPES)
    link(hospital, school, "supervision")
    host_token, school_token = token_for(hospital), token_for(school)
    supervisor = new_supervisor(client, host_token, qualification="psychiatrist",
                                credential="精神科主治医师")
    slot = one_slot(client, host_token, supervisor["id"], kind="case_conference", capacity=8,
                    mode="on_site", address="上海市精神卫生中心 3 号楼")
    return hospital, school, host_token, school_token, supervisor, slot


def _consent(client, token, recipient_id, subject):
    return client.post("/api/v1/consents", headers=bearer(token), json={
        "subject_ref": subject, "grantor": "guardian", "purpose": "case_conference",
        "subject_birth_date": "2013-06-01", "data_categories": ["clinical_notes"],
        "recipient_institution_id": str(recipient_id),
        "valid_until": (datetime.now(UTC) + timedelta(days=30)).isoformat()})


def test_case_material_travels_deidentified_without_consent(client, conference):
    _hospital, _school, host_token, school_token, _sup, slot = conference
    created = book(client, school_token, slot["id"], case={"summary": CASE,
                                                            "subject_ref": "stu-042"})
    assert created.status_code == 201, created.get_json()
    case = client.get(f"/api/v1/bookings/{created.get_json()['id']}",
                      headers=bearer(host_token)).get_json()["case"]
    assert case["identified"] is False
    assert case["subject_pseudonym"] is None and case["consent_id"] is None
    for identifier in ("11010120080101123X", "1101012008", "13812345678", "li.ming@"):
        assert identifier not in case["summary"]
    assert case["summary"].startswith("初二学生") and "邮箱" in case["summary"]
    assert "withdrawn since October" in case["summary"]


def test_case_material_is_identified_under_a_case_conference_consent(client, conference):
    hospital, _school, host_token, school_token, _sup, slot = conference
    consent = _consent(client, school_token, hospital.institution_id, "stu-042")
    assert consent.status_code == 201
    created = book(client, school_token, slot["id"], case={"summary": "Known to both teams.",
                                                            "subject_ref": "stu-042"})
    case = client.get(f"/api/v1/bookings/{created.get_json()['id']}",
                      headers=bearer(host_token)).get_json()["case"]
    assert case["identified"] is True and case["consent_id"] == consent.get_json()["id"]
    assert case["subject_pseudonym"].startswith("psn_")
    assert "stu-042" not in str(case)


def test_case_material_only_with_case_conferences(client, make_partner, link, token_for):
    university = make_partner("university", scopes=BOOKING_SCOPES)
    school = make_partner("primary_school", scopes=BOOKING_SCOPES)
    link(university, school, "supervision")
    host_token = token_for(university)
    slot = one_slot(client, host_token, new_supervisor(client, host_token)["id"])
    refused = book(client, token_for(school), slot["id"], case={"summary": "x"})
    assert refused.status_code == 422


def test_booking_and_schedule_export_as_icalendar(client, conference):
    _hospital, _school, host_token, school_token, supervisor, slot = conference
    booking = book(client, school_token, slot["id"]).get_json()
    client.post(f"/api/v1/bookings/{booking['id']}/decision", json={"status": "confirmed"},
                headers=bearer(host_token))

    response = client.get(f"/api/v1/bookings/{booking['id']}/calendar.ics",
                          headers=bearer(school_token))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    starts = datetime.fromisoformat(slot["starts_at"])
    assert event.decoded("dtstart") == starts
    assert str(event["dtstart"].params["TZID"]) == "Asia/Shanghai"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["location"]) == "上海市精神卫生中心 3 号楼"
    assert str(event["uid"]).startswith(f"booking-{booking['id']}@")
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(hours=1)

    schedule = client.get(f"/api/v1/supervisors/{supervisor['id']}/calendar.ics",
                          headers=bearer(school_token))
    events = Calendar.from_ical(schedule.data).walk("VEVENT")
    assert [str(e["uid"]).split("@")[0] for e in events] == [f"slot-{slot['id']}"]
    assert "stu-" not in schedule.get_data(as_text=True)
