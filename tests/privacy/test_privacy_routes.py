"""Every route that returns personal data goes through the consent engine.

The routes are found in the OpenAPI document (any response whose schema carries a field
marked ``x-personal-data``); each must have a recipe here. After the consents are revoked, each
referral route refuses or answers with a minimised body, and each booking route answers with
de-identified case material only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest

from gateway.services.privacy.minimise import PERSONAL_FIELDS
from tests.factories.privacy import PHONE, consent_body
from tests.privacy_support import Conference, make_conference, personal_keys
from tests.support import bearer

ONWARD_REF = "hosp-mrn-0042"  # the hospital's own reference for the student


def _carries_personal(schema: object, components: dict, seen: frozenset = frozenset()) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name not in seen and _carries_personal(components[name], components, seen | {name})
    properties = schema.get("properties")
    if isinstance(properties, dict) and any(
            isinstance(p, dict) and p.get("x-personal-data") for p in properties.values()):
        return True
    nested = [*(properties.values() if isinstance(properties, dict) else ()),
              schema.get("items"),
              *schema.get("allOf", []), *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return any(_carries_personal(s, components, seen) for s in nested if s)


def _personal_routes(client) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").get_json()
    components = spec["components"]["schemas"]
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    if _carries_personal(media.get("schema", {}), components):
                        found.add((method.upper(), path))
    return found


def _items(response) -> list[dict]:
    body = response.get_json()
    return body.get("items", [body]) if isinstance(body, dict) else []


def _referral_fields(response) -> set[str]:
    return set().union(set(), *(personal_keys(item) for item in _items(response)))


def _identified_case(response) -> set[str]:
    """What of the case material is shown identified: flag, pseudonym, unmasked summary."""
    cases = [item["case"] for item in _items(response) if item.get("case")]
    return ({"identified"} if any(c["identified"] for c in cases) else set()) | (
        {"subject_pseudonym"} if any(c["subject_pseudonym"] for c in cases) else set()) | (
        {"summary"} if any(PHONE in c["summary"] for c in cases) else set())


class Recipe(NamedTuple):
    """How to call a route, what personal data it shows, and how it may close once revoked."""

    call: Callable[[Conference, dict], object]
    shown: Callable[[object], set[str]]
    expected: set[str]
    refusals: tuple[int, ...]


def _referral(call) -> Recipe:
    return Recipe(call, _referral_fields, {"identity", "summary"}, (403, 404, 409))


def _booking(call) -> Recipe:  # booking routes keep working, showing de-identified material
    return Recipe(call, _identified_case, {"identified", "subject_pseudonym", "summary"}, ())


def _advice_shown(response) -> set[str]:
    return {"discharge_advice"} if any(item["discharge_advice"] for item in
                                       response.get_json()["items"]) else set()


def _handover_shown(response) -> set[str]:
    return set(response.get_json().get("content") or {})


RECIPES = {
    ("POST", "/api/v1/referrals"): _referral(lambda c, t: c.scene.refer()),
    ("GET", "/api/v1/referrals"): _referral(lambda c, t: c.client.get(
        "/api/v1/referrals?box=inbox", headers=bearer(c.scene.hosp_token))),
    ("GET", "/api/v1/referrals/{referral_id}"): _referral(lambda c, t: c.scene.read(t["referral"])),
    ("POST", "/api/v1/referrals/{referral_id}/transitions"): _referral(lambda c, t: c.client.post(
        f"/api/v1/referrals/{t['referral']}/transitions", json={"status": "accepted"},
        headers=bearer(c.scene.hosp_token))),
    ("POST", "/api/v1/bookings"): _booking(lambda c, t: c.book()),
    ("GET", "/api/v1/bookings"): _booking(lambda c, t: c.listed("host")),
    ("GET", "/api/v1/bookings/{booking_id}"): _booking(lambda c, t: c.read(t["requested"])),
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): _booking(
        lambda c, t: c.cancel(t["to_cancel"])),
    ("POST", "/api/v1/bookings/{booking_id}/decision"): _booking(
        lambda c, t: c.decide(t["requested"])),
    ("POST", "/api/v1/bookings/{booking_id}/attendance"): _booking(
        lambda c, t: c.attend(t["started"])),
    ("POST", "/api/v1/referrals/{referral_id}/onward"): _referral(lambda c, t: c.client.post(
        f"/api/v1/referrals/{t['referral']}/onward", headers=bearer(c.scene.hosp_token),
        json={"recipient_institution_id": str(t["agency_id"]), "subject_ref": ONWARD_REF,
              "priority": "routine", "reason": "depressive_symptoms",
              "summary": "Counselling after discharge.",
              "identity": {"name": "张小明", "date_of_birth": "2004-03-01"}})),
    ("GET", "/api/v1/cases/{case_id}/hand-backs"): Recipe(
        lambda c, t: c.client.get(f"/api/v1/cases/{t['case']}/hand-backs",
                                  headers=bearer(c.scene.uni_token)),
        _advice_shown, {"discharge_advice"}, ()),
    ("GET", "/api/v1/handovers/{handover_id}"): Recipe(
        lambda c, t: c.client.get(f"/api/v1/handovers/{t['handover']}",
                                  headers=bearer(t["next_school_token"])),
        _handover_shown, {"identity"}, (403,)),
}


@pytest.fixture
def conference(app, client, make_partner, token_for, link) -> Conference:
    """The referral scene, also linked for supervision, with case-conference slots."""
    return make_conference(app, client, make_partner, token_for, link)


def _targets(conference: Conference) -> dict:
    """Fresh objects for one pass over the routes, made while the consents are in force."""
    return {"referral": conference.scene.refer().get_json()["id"],
            "requested": conference.booked(), "to_cancel": conference.booked(),
            "started": conference.confirmed_in_started_slot()}


def _onward_agency(conference: Conference, make_partner, link) -> tuple[object, dict]:
    """A counselling agency the scene's hospital may refer on to, under the hospital's own
    consent (its consent, so the school's revocation closes the route by withdrawing the
    referral it continues)."""
    agency = make_partner("counselling_agency", scopes=["referrals:read", "referrals:write"])
    link(conference.scene.hosp, agency, "referral")
    consent = conference.client.post("/api/v1/consents", headers=bearer(
        conference.scene.hosp_token), json=consent_body(
            agency.institution_id, subject=ONWARD_REF, purpose="referral",
            categories=("identity", "clinical_notes")))
    assert consent.status_code == 201, consent.get_json()
    return agency, consent.get_json()


def _loop_targets(conference: Conference, next_school, next_school_token: str) -> dict:
    """The student's case, handed back by the hospital and handed over to the next school
    (read again after the revocation: one open case per student)."""
    scene, client = conference.scene, conference.client
    uni = bearer(scene.uni_token)
    case = client.post("/api/v1/cases", headers=uni, json={
        "subject_ref": "stu-001", "attention_tier": "key", "reported_level": "class",
        "reporter_role": "class_teacher"}).get_json()
    referral = scene.refer(case_id=case["id"]).get_json()
    assert client.post(f"/api/v1/referrals/{referral['id']}/transitions",
                       json={"status": "accepted"},
                       headers=bearer(scene.hosp_token)).status_code == 200
    assert client.post(f"/api/v1/referrals/{referral['id']}/hand-back",
                       headers=bearer(scene.hosp_token), json={
                           "discharge_advice": "Outpatient review in two weeks.",
                           "follow_up_after_days": [7], "return_to_school_advised": True},
                       ).status_code == 201
    handover = client.post(f"/api/v1/cases/{case['id']}/handovers", headers=uni, json={
        "recipient_institution_id": str(next_school.institution_id),
        "identity": {"name": "张小明", "date_of_birth": "2004-03-01"}})
    assert handover.status_code == 201, handover.get_json()
    return {"case": case["id"], "handover": handover.get_json()["id"],
            "next_school_token": next_school_token}


def test_every_personal_route_has_a_recipe(client):
    routes = _personal_routes(client)
    assert routes, "the OpenAPI document lists no personal-data routes"
    assert routes - set(RECIPES) == set(), "add a revocation recipe for each new route"
    assert set(RECIPES) - routes == set(), "a recipe names a route that no longer exists"


def test_revocation_closes_every_personal_route(client, conference, make_partner, token_for,
                                                link):
    scene = conference.scene
    next_school = make_partner("university", scopes=["cases:read", "cases:write"])
    consents = [scene.consent(["identity", "clinical_notes"]).get_json(),
                conference.consent().get_json(),
                scene.consent(["clinical_notes"], purpose="follow_up").get_json(),
                scene.consent(["identity"], purpose="handover",
                              recipient=next_school.institution_id).get_json()]
    loop = _loop_targets(conference, next_school, token_for(next_school))
    agency, _hospital_consent = _onward_agency(conference, make_partner, link)
    loop["agency_id"] = agency.institution_id
    before_targets = {**_targets(conference), **loop}
    after_targets = {**_targets(conference), **loop}
    conference.start()
    routes = sorted(_personal_routes(client))
    for route in routes:
        recipe = RECIPES[route]
        before = recipe.call(conference, before_targets)
        assert before.status_code in (200, 201), route
        assert recipe.shown(before) == recipe.expected, route
    for consent in consents:
        assert conference.scene.revoke(consent["id"]).status_code == 200
    for route in routes:
        recipe = RECIPES[route]
        after = recipe.call(conference, after_targets)
        assert after.status_code in recipe.refusals or (
            after.status_code in (200, 201) and not recipe.shown(after)), route


def test_every_personal_field_of_the_referral_view_is_marked(client):
    spec = client.get("/openapi.json").get_json()
    properties = spec["components"]["schemas"]["Referral"]["properties"]
    marked = {name for name, prop in properties.items() if prop.get("x-personal-data")}
    assert marked == set(PERSONAL_FIELDS)
