"""Schemathesis against /openapi.json: every inner-circulation endpoint is documented and every
generated request passes all checks. Path ids point at real objects so requests get past 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.circulation import book, new_supervisor, one_slot
from tests.inner.test_resources import share
from tests.openapi_fuzz import assert_conforms, assert_documented, operations_under
from tests.support import bearer

INNER = r"^/api/v1/(supervisors|slots|bookings|resources|events)"
PREFIXES = ("/api/v1/supervisors", "/api/v1/slots", "/api/v1/bookings", "/api/v1/resources",
            "/api/v1/events")
SCOPES = ["bookings:read", "bookings:write", "resources:read", "resources:write",
          "consents:read", "consents:write"]
OPERATIONS = {
    ("POST", "/api/v1/supervisors"), ("GET", "/api/v1/supervisors"),
    ("GET", "/api/v1/supervisors/{supervisor_id}"),
    ("POST", "/api/v1/supervisors/{supervisor_id}/availability"),
    ("GET", "/api/v1/supervisors/{supervisor_id}/slots"),
    ("GET", "/api/v1/supervisors/{supervisor_id}/calendar.ics"),
    ("GET", "/api/v1/slots/{slot_id}"), ("POST", "/api/v1/slots/{slot_id}/cancel"),
    ("POST", "/api/v1/bookings"), ("GET", "/api/v1/bookings"), ("GET", "/api/v1/bookings/hours"),
    ("GET", "/api/v1/bookings/{booking_id}"), ("POST", "/api/v1/bookings/{booking_id}/cancel"),
    ("POST", "/api/v1/bookings/{booking_id}/decision"),
    ("POST", "/api/v1/bookings/{booking_id}/attendance"),
    ("GET", "/api/v1/bookings/{booking_id}/calendar.ics"),
    ("POST", "/api/v1/resources"), ("GET", "/api/v1/resources"),
    ("GET", "/api/v1/resources/{resource_id}"), ("PUT", "/api/v1/resources/{resource_id}/document"),
    ("GET", "/api/v1/resources/{resource_id}/document"), ("GET", "/api/v1/events/hours"),
    ("POST", "/api/v1/events/{event_id}/registrations"),
    ("GET", "/api/v1/events/{event_id}/registrations"),
    ("POST", "/api/v1/events/{event_id}/registrations/{registration_id}/cancel"),
    ("POST", "/api/v1/events/{event_id}/registrations/{registration_id}/attendance"),
}


@dataclass
class World:
    """Real objects for path parameters, and the tokens of both sides."""

    ids: dict[str, str]
    tokens: tuple[str, str]


@pytest.fixture
def world(client, make_partner, link, token_for) -> World:
    host = make_partner("university", scopes=SCOPES)
    school = make_partner("middle_school", scopes=SCOPES)
    link(host, school, "supervision", "training_resources")
    host_token, school_token = token_for(host), token_for(school)
    supervisor = new_supervisor(client, host_token)
    slot = one_slot(client, host_token, supervisor["id"], kind="group", capacity=5)
    booking = book(client, school_token, slot["id"]).get_json()
    event = share(client, host_token, "5·25 心理健康日", kind="event", event={
        "starts_at": slot["starts_at"], "ends_at": slot["ends_at"], "time_zone": "Asia/Shanghai",
        "capacity": 50})
    registration = client.post(f"/api/v1/events/{event['id']}/registrations",
                               json={"participant_ref": "t-1", "role": "counsellor"},
                               headers=bearer(school_token)).get_json()
    return World({"supervisor_id": supervisor["id"], "slot_id": slot["id"],
                  "booking_id": booking["id"], "resource_id": event["id"],
                  "event_id": event["id"], "registration_id": registration["id"]},
                 (host_token, school_token))


def test_every_inner_endpoint_is_documented(client):
    assert_documented(client.get("/openapi.json").get_json(), PREFIXES, OPERATIONS)


@pytest.mark.slow
def test_no_server_errors(app, world):
    operations = operations_under(app, INNER)
    assert {(op.method.upper(), op.path) for op in operations} == OPERATIONS
    assert_conforms(operations, world.ids, lambda _path: world.tokens)
