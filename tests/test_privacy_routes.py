"""Every route that returns personal data goes through the consent engine.

The routes are found in the OpenAPI document (any response whose schema carries a field
marked ``x-personal-data``); each must have a recipe here. After the consent is revoked, each
one refuses or answers with a minimised body.
"""

from __future__ import annotations

from gateway.services.minimise import PERSONAL_FIELDS
from tests.privacy_support import personal_keys
from tests.support import bearer


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


def _visible(response) -> set[str]:
    body = response.get_json()
    items = body.get("items", [body]) if isinstance(body, dict) else []
    return set().union(*(personal_keys(item) for item in items)) if items else set()


RECIPES = {
    ("POST", "/api/v1/referrals"): lambda s, rid: s.refer(),
    ("GET", "/api/v1/referrals"): lambda s, rid: s.client.get(
        "/api/v1/referrals?box=inbox", headers=bearer(s.hosp_token)),
    ("GET", "/api/v1/referrals/{referral_id}"): lambda s, rid: s.read(rid),
    ("POST", "/api/v1/referrals/{referral_id}/transitions"): lambda s, rid: s.client.post(
        f"/api/v1/referrals/{rid}/transitions", json={"status": "accepted"},
        headers=bearer(s.hosp_token)),
}


def test_every_personal_route_has_a_recipe(client):
    routes = _personal_routes(client)
    assert routes, "the OpenAPI document lists no personal-data routes"
    assert routes - set(RECIPES) == set(), "add a revocation recipe for each new route"
    assert set(RECIPES) - routes == set(), "a recipe names a route that no longer exists"


def test_revocation_closes_every_personal_route(client, scene):
    consent = scene.consent(["identity", "clinical_notes"]).get_json()
    referral_id = scene.refer().get_json()["id"]
    for route in sorted(_personal_routes(client)):
        before = RECIPES[route](scene, referral_id)
        assert before.status_code in (200, 201), route
        assert _visible(before) == {"identity", "summary"}, route
    assert scene.revoke(consent["id"]).status_code == 200
    for route in sorted(_personal_routes(client)):
        after = RECIPES[route](scene, referral_id)
        assert after.status_code in (403, 404, 409) or not _visible(after), route


def test_every_personal_field_of_the_referral_view_is_marked(client):
    spec = client.get("/openapi.json").get_json()
    properties = spec["components"]["schemas"]["Referral"]["properties"]
    marked = {name for name, prop in properties.items() if prop.get("x-personal-data")}
    assert marked == set(PERSONAL_FIELDS)
