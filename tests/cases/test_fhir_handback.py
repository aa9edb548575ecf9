"""Hand-back via FHIR: a ``Communication`` on the referral's Task, recorded by the REST
hand-back's own schema and service, so it refuses what REST refuses, with the same status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.operationoutcome import OperationOutcome

ADVICE = "Sertraline 50 mg; avoid night study; outpatient review every two weeks."
HAND_BACK = "urn:gateway:hand-back"
FHIR = "application/fhir+json"


def _days(value: float, code: str = "d") -> dict:
    return {"url": "followUpAfter", "valueDuration": {
        "value": value, "system": "http://unitsofmeasure.org", "code": code}}


def communication(rid: str, advice: str = ADVICE, days: tuple = (7, 30, 90),
                  advised: bool = True, return_on: str | None = "2026-12-14",
                  **extra: object) -> dict:
    """A hospital's hand-back Communication on the Task of referral ``rid``."""
    parts = [*(_days(d) for d in days), {"url": "returnToSchoolAdvised", "valueBoolean": advised}]
    if return_on:
        parts.append({"url": "returnOn", "valueDate": return_on})
    return {"resourceType": "Communication", "status": "completed",
            "partOf": [{"reference": f"Task/{rid}"}],
            "basedOn": [{"reference": f"ServiceRequest/{rid}"}],
            "extension": [{"url": HAND_BACK, "extension": parts}],
            "payload": [{"contentString": advice}], **extra}


def rest_body(advice: str = ADVICE, days: tuple = (7, 30, 90), advised: bool = True,
              return_on: str | None = "2026-12-14") -> dict:
    """The same hand-back as the REST API takes it."""
    body = {"discharge_advice": advice, "follow_up_after_days": list(days),
            "return_to_school_advised": advised}
    return {**body, "return_on": return_on} if return_on else body


def _post(client, document: dict, headers: dict):
    return client.post("/fhir/R4/Communication", json=document,
                       headers={**headers, "Content-Type": FHIR})


def _outcome(response, status: int) -> None:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == FHIR
    OperationOutcome.model_validate(response.get_json())
    assert "Sertraline" not in response.get_data(as_text=True)


def _move(client, referral: dict, status: str, headers: dict) -> None:
    moved = client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                        json={"status": status}, headers=headers)
    assert moved.status_code == 200, moved.get_json()


def test_a_communication_hands_back_and_the_ledger_shows_the_follow_ups(client, referred):
    case, referral = referred("green_channel_referral", "follow_up")
    token, hospital = referred.token, referred.hospital_token
    rid = referral["id"]
    _outcome(_post(client, communication(rid), hospital), 409)  # not accepted yet
    _outcome(_post(client, communication(rid), token), 404)  # the recipient only
    _move(client, referral, "accepted", hospital)
    sent = _post(client, communication(rid), hospital)
    assert sent.status_code == 201, sent.get_json()
    receipt = Communication.model_validate(sent.get_json())
    assert sent.headers["Location"].endswith(f"/fhir/R4/Communication/{receipt.id}")
    assert receipt.partOf[0].reference == f"Task/{rid}" and receipt.payload is None
    assert ADVICE not in sent.get_data(as_text=True)
    _outcome(_post(client, communication(rid), hospital), 409)  # once

    [view] = client.get(f"/api/v1/cases/{case['id']}/hand-backs",
                        headers=token).get_json()["items"]
    assert view["id"] == receipt.id
    assert (view["discharge_advice"], view["return_to_school_advised"], view["return_on"]) == (
        ADVICE, True, "2026-12-14")
    sent_at = datetime.fromisoformat(view["created_at"])
    assert [datetime.fromisoformat(f["due_at"]) - sent_at for f in view["follow_ups"]] == [
        timedelta(days=7), timedelta(days=30), timedelta(days=90)]
    ledger = client.get("/api/v1/cases", headers=token, query_string={
        "review_due_before": (sent_at + timedelta(days=7, seconds=1)).isoformat()}).get_json()
    assert [c["id"] for c in ledger["items"]] == [case["id"]]


def test_without_follow_up_consent_the_school_gets_the_schedule_but_not_the_advice(
        client, referred):
    case, referral = referred("green_channel_referral")
    _move(client, referral, "accepted", referred.hospital_token)
    assert _post(client, communication(referral["id"]),
                 referred.hospital_token).status_code == 201
    [view] = client.get(f"/api/v1/cases/{case['id']}/hand-backs",
                        headers=referred.token).get_json()["items"]
    assert view["discharge_advice"] is None and view["withheld"]["purpose"] == "follow_up"
    assert len(view["follow_ups"]) == 3


@pytest.mark.parametrize("content", [
    {"days": (0,)}, {"days": (731,)}, {"days": tuple(range(1, 14))}, {"days": (7.5,)},
    {"advice": "x" * 4001}, {"advised": False},  # a return date without return advised
])
def test_fhir_refuses_what_rest_refuses_with_the_same_status(client, referred, table_counts,
                                                             content):
    _case, referral = referred("green_channel_referral", "follow_up")
    hospital = referred.hospital_token
    _move(client, referral, "accepted", hospital)
    before = table_counts()
    rest = client.post(f"/api/v1/referrals/{referral['id']}/hand-back", headers=hospital,
                       json=rest_body(**content))
    assert rest.status_code in (400, 409, 422), rest.get_json()
    _outcome(_post(client, communication(referral["id"], **content), hospital),
             rest.status_code)
    assert table_counts() == before


def test_a_communication_that_is_no_hand_back_is_refused(client, referred, table_counts):
    _case, referral = referred("green_channel_referral", "follow_up")
    hospital, rid = referred.hospital_token, referral["id"]
    _move(client, referral, "accepted", hospital)
    good = communication(rid)
    elsewhere = [{"reference": "ServiceRequest/00000000-0000-0000-0000-000000000000"}]
    attachment = [{"contentAttachment": {"contentType": "text/plain", "data": "eA=="}}]
    before = table_counts()
    unmappable = [
        {**good, "status": "in-progress"},
        {**good, "partOf": []},
        {**good, "basedOn": elsewhere},
        {**good, "extension": []},
        {**good, "payload": attachment},
        communication(rid, days=()) | {"extension": [{"url": HAND_BACK, "extension": [
            _days(1, "wk"), {"url": "returnToSchoolAdvised", "valueBoolean": True}]}]},
        communication(rid) | {"extension": [{"url": HAND_BACK, "extension": [_days(7)]}]},
    ]
    for document in unmappable:
        _outcome(_post(client, document, hospital), 422)
    _outcome(_post(client, {**good, "resourceType": "Task"}, hospital), 400)
    _outcome(_post(client, {**good, "id": rid}, hospital), 400)
    _outcome(_post(client, {k: v for k, v in good.items() if k != "status"}, hospital), 400)
    _outcome(client.post("/fhir/R4/Communication", data="<Communication/>",
                         headers={**hospital, "Content-Type": "application/fhir+xml"}), 415)
    assert table_counts() == before


def test_a_referral_not_made_from_a_case_has_nothing_to_hand_back(client, worklist):
    _school, _hospital, _school_auth, hospital, ids = worklist
    assert client.put(f"/fhir/R4/Task/{ids[0]}", headers=hospital, json={
        "resourceType": "Task", "id": ids[0], "status": "accepted",
        "intent": "order"}).status_code == 200
    rest = client.post(f"/api/v1/referrals/{ids[0]}/hand-back", headers=hospital,
                       json=rest_body())
    _outcome(_post(client, communication(ids[0]), hospital), rest.status_code)
