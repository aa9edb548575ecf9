"""Campuses: sites of an institution; cases, referrals and bookings carry them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from gateway.db import transaction
from gateway.models import Booking, Referral
from tests.circulation import BOOKING_SCOPES, book, new_supervisor, one_slot
from tests.factories.cases import crisis_case_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, grant_consents
from tests.support import assert_problem, bearer


def _add_campus(client, admin: dict, institution_id, **body) -> dict:
    response = client.post(f"/api/v1/network/institutions/{institution_id}/campuses",
                           json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_campuses_carry_cases_and_referrals_and_name_their_green_channel(
        app, client, admin_token, make_partner, token_for, link):
    admin = bearer(admin_token)
    school = make_partner("university", scopes=SCHOOL_SCOPES, region="shanghai")
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES, region="shanghai")
    link(school, hospital, "referral")
    token = bearer(token_for(school))
    suburb = _add_campus(client, admin, school.institution_id, name="临港校区",
                         district="pudong-lingang",
                         green_channel_recipient_id=str(hospital.institution_id))
    _add_campus(client, admin, school.institution_id, name="徐汇校区", district="xuhui")
    assert suburb["region"] == "shanghai"
    again = client.post(f"/api/v1/network/institutions/{school.institution_id}/campuses",
                        json={"name": "临港校区", "district": "x"}, headers=admin)
    assert_problem(again, 409)
    not_a_hospital = client.put(f"/api/v1/network/campuses/{suburb['id']}/green-channel",
                                json={"green_channel_recipient_id": str(school.institution_id)},
                                headers=admin)
    assert_problem(not_a_hospital, 422)

    own = client.get("/api/v1/campuses", headers=token).get_json()["items"]
    assert [(c["name"], c["green_channel_recipient_id"]) for c in own] == [
        ("临港校区", str(hospital.institution_id)), ("徐汇校区", None)]

    case = client.post("/api/v1/cases", headers=token, json={
        "subject_ref": "stu-1", "campus_id": suburb["id"], "attention_tier": "daily",
        "reported_level": "dormitory", "reporter_role": "dormitory_officer"}).get_json()
    levels = [client.post(f"/api/v1/cases/{case['id']}/escalations",
                          headers=token).get_json()["current_level"] for _ in range(4)]
    assert levels == ["class", "college", "campus", "school_centre"]
    single = client.post("/api/v1/cases", headers=token, json={
        "subject_ref": "stu-2", "attention_tier": "daily", "reported_level": "college",
        "reporter_role": "counsellor"}).get_json()
    step = client.post(f"/api/v1/cases/{single['id']}/escalations", headers=token).get_json()
    assert step["current_level"] == "school_centre"  # no campus: no campus level
    by_campus = client.get("/api/v1/cases", query_string={"campus_id": suburb["id"]},
                           headers=token).get_json()
    assert [c["id"] for c in by_campus["items"]] == [case["id"]]

    crisis = client.post("/api/v1/cases", headers=token,
                         json=crisis_case_body(campus_id=suburb["id"])).get_json()
    assert crisis["campus_id"] == suburb["id"]
    grant_consents(client, token, hospital.institution_id)
    referral = client.post("/api/v1/referrals", headers=token, json=referral_body(
        hospital.institution_id, case_id=crisis["id"]))
    assert referral.status_code == 201, referral.get_json()
    with transaction(app) as session:
        stored = session.scalar(select(Referral).where(
            Referral.id == uuid.UUID(referral.get_json()["id"])))
        assert str(stored.campus_id) == suburb["id"]


def test_a_campus_of_another_institution_is_refused(client, admin_token, make_partner,
                                                     token_for):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    other = make_partner("university", scopes=SCHOOL_SCOPES)
    theirs = _add_campus(client, bearer(admin_token), other.institution_id, name="东校区",
                         district="d")
    refused = client.post("/api/v1/cases", headers=bearer(token_for(school)), json={
        "subject_ref": "stu-1", "campus_id": theirs["id"], "attention_tier": "daily",
        "reported_level": "class", "reporter_role": "class_teacher"})
    assert_problem(refused, 422)
    campus_level = client.post("/api/v1/cases", headers=bearer(token_for(school)), json={
        "subject_ref": "stu-1", "attention_tier": "daily", "reported_level": "campus",
        "reporter_role": "campus_officer"})
    assert assert_problem(campus_level, 422)["missing"] == ["campus_id"]


def test_a_booking_carries_the_booking_counsellor_s_campus(app, client, admin_token,
                                                           make_partner, token_for, link):
    host = make_partner("university", scopes=BOOKING_SCOPES)
    school = make_partner("university", scopes=BOOKING_SCOPES)
    link(host, school, "supervision")
    host_token, school_token = token_for(host), token_for(school)
    campus = _add_campus(client, bearer(admin_token), school.institution_id, name="临港校区",
                         district="pudong-lingang")
    theirs = _add_campus(client, bearer(admin_token), host.institution_id, name="本部",
                         district="minhang")
    slot = one_slot(client, host_token, new_supervisor(client, host_token)["id"])
    assert_problem(book(client, school_token, slot["id"], campus_id=theirs["id"]), 422)
    booked = book(client, school_token, slot["id"], campus_id=campus["id"])
    assert booked.status_code == 201, booked.get_json()
    with transaction(app) as session:
        stored = session.get(Booking, uuid.UUID(booked.get_json()["id"]))
        assert str(stored.campus_id) == campus["id"]


def test_a_campus_green_channel_goes_to_its_default_recipient(client, admin_token, make_partner,
                                                              token_for, link):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    district_hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, district_hospital, "referral")
    token = bearer(token_for(school))
    suburb = _add_campus(client, bearer(admin_token), school.institution_id, name="临港校区",
                         district="pudong-lingang",
                         green_channel_recipient_id=str(district_hospital.institution_id))
    plain = _add_campus(client, bearer(admin_token), school.institution_id, name="本部",
                        district="xuhui")
    grant_consents(client, token, district_hospital.institution_id)
    body = {k: v for k, v in referral_body(district_hospital.institution_id).items()
            if k != "recipient_institution_id"}

    nameless = client.post("/api/v1/referrals", json=body, headers=token)
    assert assert_problem(nameless, 422)["missing"] == ["recipient_institution_id"]
    assert_problem(client.post("/api/v1/referrals", json={**body, "campus_id": plain["id"]},
                               headers=token), 422)
    assert_problem(client.post("/api/v1/referrals", headers=token, json={
        **body, "campus_id": suburb["id"], "priority": "routine"}), 422)
    sent = client.post("/api/v1/referrals", json={**body, "campus_id": suburb["id"]},
                       headers=token)
    assert sent.status_code == 201, sent.get_json()
    inbox = client.get("/api/v1/referrals", query_string={"box": "inbox"},
                       headers=bearer(token_for(district_hospital))).get_json()
    assert [r["id"] for r in inbox["items"]] == [sent.get_json()["id"]]
