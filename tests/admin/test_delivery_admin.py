"""Coordinators set push endpoints and SLAs, see dead letters and replay them (network:admin)."""

from __future__ import annotations

from sqlalchemy import select, text

from gateway.db import engine_of, transaction
from gateway.models import OutboxMessage, OutboxStatus, Referral
from gateway.services import outbox
from gateway.services.referrals import sla
from tests.factories.privacy import consent_body
from tests.factories.referrals import referral_body
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import bearer


def test_endpoint_secret_is_shown_once_and_stored_encrypted(app, client, admin_token,
                                                            make_partner):
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    url = f"/api/v1/network/delivery/institutions/{hospital.institution_id}/endpoint"
    unknown = client.put(url, json={"format": "hl7v2", "url": "https://h.example/fhir"},
                         headers=bearer(admin_token))
    assert unknown.status_code == 422
    assert unknown.get_json()["formats"] == ["fhir_r4", "webhook"]
    response = client.put(url, json={"format": "fhir_r4", "url": "https://h.example/fhir"},
                          headers=bearer(admin_token))
    assert response.status_code == 200, response.get_json()
    secret = response.get_json()["secret"]
    assert secret.startswith("whsec_")
    with engine_of(app).connect() as connection:
        stored = connection.execute(text("SELECT secret FROM delivery_endpoints")).scalar_one()
    assert stored.startswith("gw1.") and secret not in stored
    partner_token = bearer(client.post("/oauth/token", data=hospital.token_form()).json[
        "access_token"])
    assert client.put(url, json={"format": "webhook", "url": "https://x.example"},
                      headers=partner_token).status_code == 403


def test_sla_policy_is_per_recipient(app, client, admin_token, make_partner):
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    response = client.put(f"/api/v1/network/delivery/institutions/{hospital.institution_id}/sla",
                          json={"receipt_minutes": 10, "decision_minutes": 60,
                                "on_call_contact": "duty doctor 7001"},
                          headers=bearer(admin_token))
    assert response.status_code == 200
    another = make_partner("hospital")
    with transaction(app) as session:
        policy = sla.policy_for(session, hospital.institution_id)
        assert (policy.receipt_minutes, policy.decision_minutes) == (10, 60)
        other = sla.policy_for(session, another.institution_id)
        assert (other.receipt_minutes, other.decision_minutes) == (15, 120)


def test_dead_letters_are_listed_by_region_and_replayed(app, client, admin_token, make_partner):
    school = make_partner("university", region="minhang")
    with transaction(app) as session:
        message = outbox.enqueue(session, "referral.accepted", {"event": "x"},
                                 institution_id=school.institution_id)
        message.status, message.attempts, message.last_error = OutboxStatus.DEAD, 8, "HTTP 503"
        message_id = message.id
    listed = client.get("/api/v1/network/delivery/dead-letters?region=minhang",
                        headers=bearer(admin_token)).get_json()
    assert [(m["id"], m["last_error"]) for m in listed] == [(str(message_id), "HTTP 503")]
    assert "payload" not in listed[0]
    assert client.get("/api/v1/network/delivery/dead-letters?region=elsewhere",
                      headers=bearer(admin_token)).get_json() == []
    replayed = client.post(f"/api/v1/network/delivery/dead-letters/{message_id}/replay",
                           headers=bearer(admin_token))
    assert replayed.get_json()["status"] == "pending"
    with transaction(app) as session:
        assert session.get(OutboxMessage, message_id).attempts == 0


def test_a_breach_is_recorded_once_even_if_two_schedulers_race(app, client, make_partner, link,
                                                               token_for):
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    token = bearer(token_for(school))
    client.post("/api/v1/consents", json=consent_body(hospital.institution_id), headers=token)
    client.post("/api/v1/referrals", json=referral_body(hospital.institution_id), headers=token)
    with transaction(app) as session:
        referral = session.scalar(select(Referral))
        first = sla.record_breach(session, referral, sla.SlaKind.RECEIPT,
                                  referral.receipt_due_at)
        second = sla.record_breach(session, referral, sla.SlaKind.RECEIPT,
                                   referral.receipt_due_at)
    assert first is not None and second is None
