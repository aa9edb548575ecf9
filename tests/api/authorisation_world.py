"""A real object behind every path parameter of the route table, all belonging to one region
(r1) and to institutions an outsider has no partnership with: the world the authorisation
matrix's "other institution" and "coordinator of another region" columns are called in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask

from gateway.cli import seal_until_done
from gateway.db import transaction
from gateway.models import AlertKind, OutboxStatus
from gateway.services import outbox
from gateway.services.alerts import contacts
from gateway.services.alerts.raising import raise_alert
from gateway.services.network import campuses
from tests.admin_support import make_account
from tests.circulation import book, new_supervisor, one_slot
from tests.factories.cases import crisis_case_body
from tests.factories.privacy import consent_body
from tests.inner.test_resources import share
from tests.support import TESTER, bearer

SCOPES = ["referrals:read", "referrals:write", "consents:read", "consents:write",
          "cases:read", "cases:write", "bookings:read", "bookings:write", "resources:read",
          "resources:write", "audit:read"]
PDF = b"%PDF-1.7\n% assessment\n" + b"bytes " * 40 + b"\n%%EOF\n"


@dataclass
class World:
    """Path parameter values naming real objects of region r1, and the ids to look for in a
    page that must not show them."""

    ids: dict[str, str]

    def secrets(self) -> set[str]:
        """Ids an outsider's page must never contain."""
        return {value for name, value in self.ids.items()
                if name not in ("index", "version_id", "region", "action", "filename")}


def build(app: Flask, client, make_partner, link, token_for, grant_consent,
          send_referral) -> World:
    """A university with a hospital and a middle school as partners, every kind of object
    between them (a case handed over to the middle school, a screening round, a campus), an
    alert with a contact and a coordinator of the region, a dead letter, and the log sealed."""
    school = make_partner("university", scopes=SCOPES)
    hospital = make_partner("hospital", scopes=SCOPES)
    middle = make_partner("middle_school", scopes=SCOPES)
    partnership = link(school, hospital, "referral")
    link(school, middle, "supervision", "training_resources")
    school_token, hospital_token, middle_token = (token_for(p) for p in (school, hospital,
                                                                          middle))
    consent = grant_consent(school_token, hospital.institution_id).get_json()
    referral = send_referral(school_token, hospital.institution_id).get_json()
    attachment = client.post(f"/api/v1/referrals/{referral['id']}/attachments?filename=a.pdf",
                             data=PDF, content_type="application/pdf",
                             headers=bearer(school_token)).get_json()
    task = client.get(f"/fhir/R4/Task/{referral['id']}",
                      headers=bearer(hospital_token)).get_json()
    case = client.post("/api/v1/cases", json=crisis_case_body(),
                       headers=bearer(school_token)).get_json()
    supervisor = new_supervisor(client, school_token)
    slot = one_slot(client, school_token, supervisor["id"], kind="group", capacity=5)
    booking = book(client, middle_token, slot["id"]).get_json()
    event = share(client, school_token, "5·25 心理健康日", kind="event", event={
        "starts_at": slot["starts_at"], "ends_at": slot["ends_at"],
        "time_zone": "Asia/Shanghai", "capacity": 50})
    registration = client.post(f"/api/v1/events/{event['id']}/registrations",
                               json={"participant_ref": "t-1", "role": "counsellor"},
                               headers=bearer(middle_token)).get_json()
    client.post("/api/v1/consents", headers=bearer(school_token), json=consent_body(
        middle.institution_id, purpose="handover", categories=("school_record",)))
    handover = client.post(f"/api/v1/cases/{case['id']}/handovers", headers=bearer(school_token),
                           json={"recipient_institution_id": str(middle.institution_id),
                                 "school_record": {"grade": "Year 1"}}).get_json()
    screening = client.post("/api/v1/screening-rounds", headers=bearer(school_token), json={
        "screened_on": "2026-09-20", "instrument": "PHQ-9", "screened": 10,
        "positive": 5}).get_json()
    coordinator = make_account(app, region="r1")
    with transaction(app) as session:
        campus = campuses.add(session, TESTER, school.institution_id, name="East",
                              district="d1")
        alert = raise_alert(session, TESTER, kind=AlertKind.CRISIS_REVIEW_OVERDUE, region="r1",
                            cause_type="case", cause_id=uuid.UUID(case["id"]), notice={},
                            institution_id=school.institution_id)
        contact = contacts.add(session, TESTER, email="duty@r1.example.edu.cn", region="r1")
        ids = {"campus_id": str(campus.id), "alert_id": str(alert.id),
               "contact_id": str(contact.id), "coordinator_id": str(coordinator.id)}
        message = outbox.enqueue(session, "referral.accepted", {"event": "x"},
                                 institution_id=hospital.institution_id)
        message.status, message.attempts, message.last_error = OutboxStatus.DEAD, 8, "HTTP 503"
        message_id = str(message.id)
    seal_until_done(app)
    return World({
        **ids, "handover_id": handover["id"], "round_id": screening["id"],
        "referral_id": referral["id"], "attachment_id": attachment["id"],
        "consent_id": consent["id"], "case_id": case["id"], "supervisor_id": supervisor["id"],
        "slot_id": slot["id"], "booking_id": booking["id"], "resource_id": event["id"],
        "event_id": event["id"], "registration_id": registration["id"],
        "task_id": referral["id"], "request_id": referral["id"],
        "patient_id": task["for"]["reference"].removeprefix("Patient/"),
        "organization_id": str(school.institution_id), "version_id": "1", "index": "0",
        "service_id": str(hospital.institution_id), "endpoint_id": str(hospital.institution_id),
        "client_id": school.client_id, "institution_id": str(school.institution_id),
        "partnership_id": str(partnership), "message_id": message_id, "region": "r1",
        "action": "suspend", "release_id": str(uuid.uuid4()), "filename": "admin.css"})
