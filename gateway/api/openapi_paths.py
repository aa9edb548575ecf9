"""Operations outside the smorest blueprints, added to the OpenAPI document: the OAuth
endpoints and discovery documents, and the FHIR R4 base.

The FHIR operations are read from the app's route table; each one's ``security`` is the scope
its ``@authenticated`` decorator enforces, so the document cannot drift from the code.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from werkzeug.routing import Rule

from gateway.api.openapi import HEADERS
from gateway.problems import PROBLEM_JSON
from schemas import problems
from schemas.fhir import TaskSearchSchema

FHIR_JSON = "application/fhir+json"
FHIR_ERRORS = (400, 401, 403, 404, 406, 409, 412, 415, 422, 429, 503)
FHIR_PREFIX = "/fhir/R4"
TASK_SEARCH = "/fhir/R4/Task"
SMART_CONFIGURATION = "/.well-known/smart-configuration"


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem(status: int) -> dict:
    return {"description": f"A problem ({status}).", "headers": HEADERS.get(status, {}),
            "content": {PROBLEM_JSON: {"schema": _ref("schemas", "Problem")}}}


def _json(description: str, schema: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": _ref("schemas", schema)}}}


def _form(properties: dict, required: list[str]) -> dict:
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": properties, "required": required}}}}


CLIENT_AUTH = {
    "client_id": {"type": "string"},
    "client_assertion_type": {
        "type": "string", "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]},
    "client_assertion": {"type": "string", "description": "A private_key_jwt (RFC 7523)."},
}


def _oauth(summary: str, form: dict, required: list[str], ok: dict) -> dict:
    error = {**_problem(400), "description": "A problem carrying RFC 6749 §5.2's error and "
                                              "error_description (invalid_client: 401)."}
    return {"post": {
        "tags": ["oauth"], "summary": summary, "security": [], "requestBody": _form(
            {**form, **CLIENT_AUTH}, required),
        "responses": {"200": ok, "400": error, "401": error, "413": _problem(413),
                      "429": _problem(429), "503": _problem(503)}}}


def _document(summary: str, schema: str) -> dict:
    return {"get": {"tags": ["oauth"], "summary": summary, "security": [],
                    "responses": {"200": _json(summary, schema), "503": _problem(503)}}}


OAUTH_PATHS = {
    "/oauth/token": _oauth("Client credentials token (private_key_jwt or client_secret_basic; "
                           "DPoP proof optional)", {
        "grant_type": {"type": "string", "enum": ["client_credentials"]},
        "scope": {"type": "string"}}, ["grant_type"], _json("The access token.", "Token")),
    "/oauth/introspect": _oauth("RFC 7662 introspection of a token issued to the caller", {
        "token": {"type": "string"}, "token_type_hint": {"type": "string"}}, ["token"],
        _json("Whether the token is active, and its claims.", "Introspection")),
    "/oauth/revoke": _oauth("RFC 7009 revocation of a token issued to the caller", {
        "token": {"type": "string"}, "token_type_hint": {"type": "string"}}, ["token"],
        {"description": "Revoked (or unknown: nothing to do)."}),
    "/.well-known/jwks.json": _document("The gateway's public keys (tokens, checkpoints)",
                                        "JWKSet"),
    "/.well-known/oauth-authorization-server": _document(
        "RFC 8414 authorization server metadata", "Document"),
    "/.well-known/smart-configuration": _document("SMART configuration", "Document"),
}


def _security(view) -> list | None:
    """The ``security`` an ``@authenticated`` view declares (None for a public one)."""
    return (getattr(view, "_apidoc", {}).get("manual_doc") or {}).get("security")


def _fhir_errors(method: str, security: list | None) -> tuple[int, ...]:
    """406 and 503 anywhere; the token's refusals where one is needed; a body's refusals
    (and a stale ``If-Match``) on a write."""
    if not security:
        return (406, 503)
    if method in ("post", "put"):
        return FHIR_ERRORS if method == "put" else tuple(s for s in FHIR_ERRORS if s != 412)
    return tuple(s for s in FHIR_ERRORS if s not in (409, 412, 415))


def _fhir_operation(path: str, method: str, view) -> dict:
    if path.endswith(SMART_CONFIGURATION):  # plain JSON, not negotiated
        return _document((view.__doc__ or "").strip().splitlines()[0], "Document")["get"]
    security = _security(view)
    responses = {str(s): _ref("responses", f"FHIR_{s}") for s in _fhir_errors(method, security)}
    created = method == "post"
    responses["201" if created else "200"] = _json(
        "The resource (no body with Prefer: return=minimal).", "FHIRResource", FHIR_JSON)
    if created:
        responses["200"] = _json("A replay of the same Idempotency-Key.", "FHIRResource",
                                 FHIR_JSON)
    operation = {"tags": ["fhir"], "summary": (view.__doc__ or path).strip().splitlines()[0],
                 "security": security or [], "responses": responses}
    if path == TASK_SEARCH and method == "get":
        operation["parameters"] = [{"in": "query", "schema": TaskSearchSchema}]
    if method in ("post", "put"):
        operation["requestBody"] = {"required": True, "content": {
            FHIR_JSON: {"schema": _ref("schemas", "FHIRResource")}}}
    return operation


def _fhir_operations(app: Flask, rule: Rule) -> dict[str, dict]:
    view = app.view_functions[rule.endpoint]
    operations = {}
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        handler = getattr(getattr(view, "view_class", None), method.lower(), view)
        operations[method.lower()] = _fhir_operation(rule.rule, method.lower(), handler)
    return operations


def document_plain_routes(app: Flask, api: Api) -> None:
    """Add the OAuth and FHIR operations (and their error responses) to ``api``'s document."""
    spec = api.spec
    for name in ("Token", "Introspection", "JWKSet", "Document", "FHIRResource"):
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=getattr(problems, f"{name}Schema"))
    for status in FHIR_ERRORS:
        spec.components.response(f"FHIR_{status}", {
            "description": f"An OperationOutcome ({status}).", "headers": HEADERS.get(status, {}),
            "content": {FHIR_JSON: {"schema": _ref("schemas", "FHIRResource")}}})
    for rule in app.url_map.iter_rules():
        if rule.rule in OAUTH_PATHS:
            spec.path(rule=rule, operations=OAUTH_PATHS[rule.rule], parameters=[])
        elif rule.rule.startswith(FHIR_PREFIX + "/"):
            spec.path(rule=rule, operations=_fhir_operations(app, rule), parameters=[])
