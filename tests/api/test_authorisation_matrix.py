"""Issue 16: the authorisation matrix, generated from the app's route table. Every API, FHIR and
admin route has an entry saying what guards it; a route without an entry fails the test. Each
guarded API and FHIR route is called with no token, a token without its scope, an expired
token and the token of a revoked client, and must refuse each one before doing anything;
each admin page refuses a caller who is not signed in.

Two more columns run against a real object behind every path parameter
(``tests/api/authorisation_world.py``): an institution with every partner scope but no
partnership calls every guarded route with another institution's ids, and a coordinator of
another region calls every admin route. An object route answers exactly as for an id that
does not exist (404 on a read: no existence leak); a network-administration route answers 403;
a list or a create shows none of the other side's ids. Admin pages that take an id or a region
in the query (audit filters and exports, the access report, reports) answer the other region's
as an unknown one.
"""

from __future__ import annotations

import io
import re
import time
import uuid

import pytest
from openpyxl import load_workbook
from werkzeug.routing import Rule

from gateway.db import transaction
from gateway.services.network import clients
from tests.admin_support import csrf_token, make_account, sign_in
from tests.api import authorisation_world
from tests.circulation import local_start
from tests.factories.referrals import referral_body
from tests.support import TESTER, bearer

PUBLIC = "public"  # anyone: health, discovery, the OAuth endpoints (they authenticate clients)
ADMIN_SESSION = "coordinator session"  # the admin UI: a signed-in coordinator
ADMIN_PUBLIC = "admin, public"  # sign-in, language, static files

MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("POST", "/oauth/token"): PUBLIC,
    ("POST", "/oauth/introspect"): PUBLIC,
    ("POST", "/oauth/revoke"): PUBLIC,
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    ("GET", "/.well-known/oauth-authorization-server"): PUBLIC,
    ("GET", "/.well-known/smart-configuration"): PUBLIC,
    ("GET", "/fhir/R4/metadata"): PUBLIC,
    ("GET", "/fhir/R4/.well-known/smart-configuration"): PUBLIC,
    ("GET", "/fhir/R4/Task"): "referrals:read",
    ("POST", "/fhir/R4/Task"): "referrals:write",
    ("GET", "/fhir/R4/Task/<task_id>"): "referrals:read",
    ("PUT", "/fhir/R4/Task/<task_id>"): "referrals:write",
    ("GET", "/fhir/R4/Task/<task_id>/_history"): "referrals:read",
    ("GET", "/fhir/R4/Task/<task_id>/_history/<version_id>"): "referrals:read",
    ("GET", "/fhir/R4/ServiceRequest/<request_id>"): "referrals:read",
    ("GET", "/fhir/R4/Patient/<patient_id>"): "referrals:read",
    ("GET", "/fhir/R4/Consent/<consent_id>"): "referrals:read",
    ("GET", "/fhir/R4/Organization/<organization_id>"): "referrals:read",
    ("GET", "/fhir/R4/HealthcareService"): "referrals:read",
    ("GET", "/fhir/R4/HealthcareService/<service_id>"): "referrals:read",
    ("GET", "/fhir/R4/Endpoint"): "referrals:read",
    ("GET", "/fhir/R4/Endpoint/<endpoint_id>"): "referrals:read",
    ("POST", "/fhir/R4/Communication"): "referrals:write",
    ("GET", "/audit/checkpoint"): "audit:read",
    ("GET", "/audit/entries/<int:index>"): "audit:read",
    ("GET", "/audit/consistency"): "audit:read",
    ("GET", "/audit/access-report"): "audit:read",
    ("POST", "/audit/cosignatures"): "audit:witness",
    ("POST", "/audit/split-views"): "audit:witness",
    ("GET", "/api/v1/bookings"): "bookings:read",
    ("POST", "/api/v1/bookings"): "bookings:write",
    ("GET", "/api/v1/bookings/hours"): "bookings:read",
    ("GET", "/api/v1/bookings/<uuid:booking_id>"): "bookings:read",
    ("POST", "/api/v1/bookings/<uuid:booking_id>/attendance"): "bookings:write",
    ("GET", "/api/v1/bookings/<uuid:booking_id>/calendar.ics"): "bookings:read",
    ("POST", "/api/v1/bookings/<uuid:booking_id>/cancel"): "bookings:write",
    ("POST", "/api/v1/bookings/<uuid:booking_id>/decision"): "bookings:write",
    ("GET", "/api/v1/campuses"): "referrals:read",
    ("GET", "/api/v1/cases"): "cases:read",
    ("GET", "/api/v1/cases/key-period"): "cases:read",
    ("GET", "/api/v1/cases/overdue"): "cases:read",
    ("GET", "/api/v1/cases/risk-factors"): "cases:read",
    ("POST", "/api/v1/cases"): "cases:write",
    ("GET", "/api/v1/cases/<uuid:case_id>"): "cases:read",
    ("PATCH", "/api/v1/cases/<uuid:case_id>"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/assessments"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/close"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/escalations"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/follow-ups"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/aftercare"): "cases:write",
    ("GET", "/api/v1/cases/<uuid:case_id>/hand-backs"): "cases:read",
    ("POST", "/api/v1/cases/<uuid:case_id>/handovers"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/return-to-school"): "cases:write",
    ("POST", "/api/v1/cases/<uuid:case_id>/reviews"): "cases:write",
    ("POST", "/api/v1/consents"): "consents:write",
    ("GET", "/api/v1/consents/<uuid:consent_id>"): "consents:read",
    ("POST", "/api/v1/consents/<uuid:consent_id>/revoke"): "consents:write",
    ("GET", "/api/v1/directory"): "referrals:read",
    ("GET", "/api/v1/events/hours"): "resources:read",
    ("GET", "/api/v1/events/<uuid:event_id>/registrations"): "resources:read",
    ("POST", "/api/v1/events/<uuid:event_id>/registrations"): "resources:write",
    ("POST", "/api/v1/events/<uuid:event_id>/registrations/<uuid:registration_id>/attendance"):
        "resources:write",
    ("POST", "/api/v1/events/<uuid:event_id>/registrations/<uuid:registration_id>/cancel"):
        "resources:write",
    ("GET", "/api/v1/handovers"): "cases:read",
    ("GET", "/api/v1/handovers/<uuid:handover_id>"): "cases:read",
    ("POST", "/api/v1/handovers/<uuid:handover_id>/case"): "cases:write",
    ("PUT", "/api/v1/network/campuses/<uuid:campus_id>/green-channel"): "network:admin",
    ("POST", "/api/v1/network/clients"): "network:admin",
    ("POST", "/api/v1/network/clients/<client_id>/reactivate"): "network:admin",
    ("POST", "/api/v1/network/clients/<client_id>/revoke"): "network:admin",
    ("GET", "/api/v1/network/delivery/dead-letters"): "network:admin",
    ("POST", "/api/v1/network/delivery/dead-letters/<uuid:message_id>/replay"): "network:admin",
    ("PUT", "/api/v1/network/delivery/institutions/<uuid:institution_id>/endpoint"):
        "network:admin",
    ("PUT", "/api/v1/network/delivery/institutions/<uuid:institution_id>/sla"): "network:admin",
    ("PUT", "/api/v1/network/delivery/regions/<region>/endpoint"): "network:admin",
    ("GET", "/api/v1/network/institutions"): "network:admin",
    ("POST", "/api/v1/network/institutions"): "network:admin",
    ("GET", "/api/v1/network/institutions/<uuid:institution_id>/campuses"): "network:admin",
    ("POST", "/api/v1/network/institutions/<uuid:institution_id>/campuses"): "network:admin",
    ("PUT", "/api/v1/network/institutions/<uuid:institution_id>/directory"): "network:admin",
    ("GET", "/api/v1/network/partnerships"): "network:admin",
    ("POST", "/api/v1/network/partnerships"): "network:admin",
    ("POST", "/api/v1/network/partnerships/<uuid:partnership_id>/status"): "network:admin",
    ("GET", "/api/v1/referrals"): "referrals:read",
    ("POST", "/api/v1/referrals"): "referrals:write",
    ("GET", "/api/v1/referrals/<uuid:referral_id>"): "referrals:read",
    ("GET", "/api/v1/referrals/<uuid:referral_id>/attachments"): "referrals:read",
    ("POST", "/api/v1/referrals/<uuid:referral_id>/attachments"): "referrals:write",
    ("GET", "/api/v1/referrals/<uuid:referral_id>/attachments/<uuid:attachment_id>"):
        "referrals:read",
    ("GET", "/api/v1/referrals/<uuid:referral_id>/events"): "referrals:read",
    ("GET", "/api/v1/referrals/<uuid:referral_id>/metrics"): "referrals:read",
    ("POST", "/api/v1/referrals/<uuid:referral_id>/hand-back"): "referrals:write",
    ("POST", "/api/v1/referrals/<uuid:referral_id>/onward"): "referrals:write",
    ("POST", "/api/v1/referrals/<uuid:referral_id>/transitions"): "referrals:write",
    ("POST", "/api/v1/referrals/<uuid:referral_id>/updates"): "referrals:write",
    ("GET", "/api/v1/reports/regional"): "reports:read",
    ("GET", "/api/v1/resources"): "resources:read",
    ("POST", "/api/v1/resources"): "resources:write",
    ("GET", "/api/v1/resources/<uuid:resource_id>"): "resources:read",
    ("GET", "/api/v1/resources/<uuid:resource_id>/document"): "resources:read",
    ("PUT", "/api/v1/resources/<uuid:resource_id>/document"): "resources:write",
    ("GET", "/api/v1/screening-rounds"): "cases:read",
    ("POST", "/api/v1/screening-rounds"): "cases:write",
    ("POST", "/api/v1/screening-rounds/<uuid:round_id>/positives"): "cases:write",
    ("GET", "/api/v1/slots/<uuid:slot_id>"): "bookings:read",
    ("POST", "/api/v1/slots/<uuid:slot_id>/cancel"): "bookings:write",
    ("GET", "/api/v1/supervisors"): "bookings:read",
    ("POST", "/api/v1/supervisors"): "bookings:write",
    ("GET", "/api/v1/supervisors/<uuid:supervisor_id>"): "bookings:read",
    ("POST", "/api/v1/supervisors/<uuid:supervisor_id>/availability"): "bookings:write",
    ("GET", "/api/v1/supervisors/<uuid:supervisor_id>/calendar.ics"): "bookings:read",
    ("GET", "/api/v1/supervisors/<uuid:supervisor_id>/slots"): "bookings:read",
    ("GET", "/admin/sign-in"): ADMIN_PUBLIC,
    ("POST", "/admin/sign-in"): ADMIN_PUBLIC,
    ("POST", "/admin/language"): ADMIN_PUBLIC,
    ("GET", "/admin/static/<path:filename>"): ADMIN_PUBLIC,
}
ADMIN_PREFIX = "/admin"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _routes(app) -> list[tuple[str, Rule]]:
    return [(method, rule) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _guard(method: str, rule: Rule) -> str:
    if (method, rule.rule) in MATRIX:
        return MATRIX[(method, rule.rule)]
    return ADMIN_SESSION if rule.rule.startswith(ADMIN_PREFIX + "/") else "no entry"


def _path(rule: Rule) -> str:
    """The rule with a value for every parameter (authorisation comes before any lookup)."""
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        values[name] = ("approve" if converter == "AnyConverter" else
                        uuid.uuid4() if converter == "UUIDConverter" else
                        1 if converter == "IntegerConverter" else "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_has_an_entry(app):
    """A new route must say what guards it: add it to MATRIX (or it is an admin page)."""
    missing = sorted(f"{method} {rule.rule}" for method, rule in _routes(app)
                     if _guard(method, rule) == "no entry")
    assert missing == []
    routes = {(method, rule.rule) for method, rule in _routes(app)}
    assert sorted(set(MATRIX) - routes) == []  # no stale entries either


def _scoped(app) -> list[tuple[str, str, str]]:
    return [(method, _path(rule), _guard(method, rule)) for method, rule in _routes(app)
            if _guard(method, rule) not in (PUBLIC, ADMIN_SESSION, ADMIN_PUBLIC)]


def _call(client, method: str, path: str, headers: dict):
    return client.open(path, method=method, headers=headers, json={})


def _assert_all_refused(client, app, table_counts, headers_for, status: int, error: str | None):
    before = table_counts()
    wrong = []
    for method, path, scope in _scoped(app):
        response = _call(client, method, path, headers_for(scope))
        body = response.get_json(silent=True) or {}
        # FHIR answers every error as an OperationOutcome; the API as problem+json with `error`
        shaped = (body.get("resourceType") == "OperationOutcome" if path.startswith("/fhir/")
                  else body.get("error", None) == error)
        if response.status_code != status or not shaped or \
                not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
            wrong.append((method, path, response.status_code, body.get("error")))
    assert wrong == []
    assert table_counts() == before


def test_no_token_is_refused_everywhere(client, app, table_counts):
    _assert_all_refused(client, app, table_counts, lambda _scope: {}, 401, None)


def test_a_token_without_the_scope_is_refused_everywhere(client, app, make_partner, token_for,
                                                         table_counts):
    readers = {scope: make_partner("university", scopes=[other])
               for scope, other in (("resources:read", "referrals:read"),
                                    ("other", "resources:read"))}
    tokens = {scope: bearer(token_for(partner)) for scope, partner in readers.items()}
    _assert_all_refused(client, app, table_counts,
                        lambda scope: tokens["resources:read" if scope == "resources:read"
                                             else "other"], 403, "insufficient_scope")


def _all_scopes(make_partner):
    return make_partner("university", scopes=[s for s in clients.SCOPES
                                              if s not in ("network:admin",
                                                           "referrals:emergency")])


def test_an_expired_token_is_refused_everywhere(client, app, make_partner, forge_token,
                                                table_counts):
    partner = _all_scopes(make_partner)
    now = int(time.time())
    expired = bearer(forge_token(partner, scope=" ".join(clients.SCOPES), iat=now - 900,
                                 nbf=now - 900, exp=now - 300))
    _assert_all_refused(client, app, table_counts, lambda _scope: expired, 401,
                        "invalid_token")


def test_a_revoked_clients_token_is_refused_everywhere(client, app, make_partner, forge_token,
                                                       table_counts):
    partner = _all_scopes(make_partner)
    token = bearer(forge_token(partner, scope=" ".join(clients.SCOPES)))
    with transaction(app) as session:
        clients.revoke(session, TESTER, partner.client_id)
    _assert_all_refused(client, app, table_counts, lambda _scope: token, 401, "invalid_token")


def test_admin_pages_refuse_a_caller_not_signed_in(client, app, table_counts):
    before = table_counts()
    wrong = []
    for method, rule in _routes(app):
        if _guard(method, rule) != ADMIN_SESSION:
            continue
        response = client.open(_path(rule), method=method)
        signed_out = response.status_code == 302 and \
            response.headers["Location"].endswith("/admin/sign-in")
        csrf_refused = method == "POST" and response.status_code == 400
        if not (signed_out or csrf_refused):
            wrong.append((method, rule.rule, response.status_code))
    assert wrong == []
    assert table_counts() == before


# --- the "other institution's token" and "coordinator of another region" columns ---------

ADMIN_SCOPE = "network:admin"
#: Admin routes that are the coordinator's own, not a region's: nothing of another region.
REGION_FREE = {("POST", "/admin/sign-out"), ("POST", "/admin/language"),
               ("GET", "/admin/sign-in"), ("POST", "/admin/sign-in"),
               ("GET", "/admin/static/<path:filename>")}
UNKNOWN = {"index": "999999", "version_id": "99", "region": "r9", "action": "suspend",
           "filename": "admin.css", "client_id": "no-such-client",
           "patient_id": "psn-00000000000000000000000000000000"}
QUERIES = {"/audit/entries/<int:index>": "?tree_size=1"}  # leaf 0 of the first tree
#: Bodies the route's schema accepts, so the call gets past validation to the object itself
#: (the ids of the other side's objects are filled in from the world).
BODIES = {
    "/api/v1/consents/<uuid:consent_id>/revoke": {"reason": "withdrawn"},
    "/api/v1/referrals/<uuid:referral_id>/transitions": {"status": "accepted"},
    "/api/v1/supervisors/<uuid:supervisor_id>/availability": {
        "kind": "individual", "mode": "online", "capacity": 1, "local_start": local_start(),
        "duration_minutes": 60},
    "/api/v1/bookings": {"slot_id": "slot_id", "counsellor_ref": "staff-9"},
    "/api/v1/bookings/<uuid:booking_id>/decision": {"status": "confirmed"},
    "/api/v1/bookings/<uuid:booking_id>/attendance": {"status": "attended"},
    "/api/v1/events/<uuid:event_id>/registrations": {"participant_ref": "t-9",
                                                     "role": "counsellor"},
    "/api/v1/events/<uuid:event_id>/registrations/<uuid:registration_id>/attendance": {
        "attended": True},
    "/api/v1/cases/<uuid:case_id>/assessments": {"instrument": "PHQ-9", "risk_level": "low"},
    "/api/v1/cases/<uuid:case_id>/follow-ups": {"note": "called back"},
    "/api/v1/cases/<uuid:case_id>": {"plan": "Weekly talks."},
    "/api/v1/cases/<uuid:case_id>/escalations": {},
    "/api/v1/cases/<uuid:case_id>/reviews": {"attention_tier": "crisis", "note": "Withdrawn."},
    "/api/v1/cases/<uuid:case_id>/close": {"reason": "moved_away"},
    "/api/v1/cases/<uuid:case_id>/return-to-school": {"outcome": "returned_with_support",
                                                      "note": "Half days first."},
    "/api/v1/cases/<uuid:case_id>/aftercare": {"plan": "Weekly talk with the counsellor."},
    "/api/v1/cases/<uuid:case_id>/handovers": {"recipient_institution_id": "institution_id",
                                               "school_record": {"grade": "Year 1"}},
    "/api/v1/handovers/<uuid:handover_id>/case": {
        "subject_ref": "uni-stu-9", "attention_tier": "key", "reported_level": "college",
        "reporter_role": "counsellor"},
    "/api/v1/screening-rounds/<uuid:round_id>/positives": {"subject_ref": "stu-9", "score": 19,
                                                            "risk_level": "high"},
    "/api/v1/referrals/<uuid:referral_id>/hand-back": {
        "discharge_advice": "Rest; weekly talks.", "follow_up_after_days": [7, 30],
        "return_to_school_advised": True, "return_on": "2026-12-14"},
    "/api/v1/referrals/<uuid:referral_id>/onward": {
        **referral_body(uuid.UUID(int=0)), "recipient_institution_id": "institution_id"},
}
#: Reached with these ids, the answer is a refusal of the object: 404 as for an unknown one.
OBJECT_WRITES = {rule for rule in BODIES if "<" in rule}


@pytest.fixture
def world(app, client, make_partner, link, token_for, grant_consent, send_referral):
    return authorisation_world.build(app, client, make_partner, link, token_for, grant_consent,
                                     send_referral)


def _filled(rule: Rule, ids: dict[str, str]) -> str:
    path = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
    return path + QUERIES.get(rule.rule, "")


def _unknown(rule: Rule) -> str:
    return _filled(rule, {name: UNKNOWN.get(name, str(uuid.uuid4())) for name in rule.arguments})


def _outsider_call(client, method: str, rule: Rule, path: str, world, headers: dict):
    body = {name: world.ids.get(value, value) if isinstance(value, str) else value
            for name, value in (BODIES.get(rule.rule, {}) if method != "GET" else {}).items()}
    if rule.rule.endswith("/attachments") and method == "POST":
        return client.post(path + "?filename=a.pdf", data=authorisation_world.PDF,
                           content_type="application/pdf", headers=headers)
    return client.open(path, method=method, headers=headers, json=body)


def _answer(response) -> tuple[int, object]:
    """Status and body, without what differs between any two requests (the request id)."""
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "request_id"}
    return response.status_code, body


def _text(response) -> str:
    """What a response shows: its text, or every cell of a spreadsheet export."""
    if response.mimetype == XLSX:
        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return response.get_data(as_text=True)


def _shows_none_of(response, world, path: str = "") -> bool:
    """Whether the page shows no id of the other side (the caller's own URL aside)."""
    text = _text(response).replace(path, "")
    return not any(secret in text for secret in world.secrets())


def test_another_institutions_objects_are_not_found_and_not_listed(client, app, world,
                                                                   make_partner, token_for):
    outsider = make_partner("university", scopes=authorisation_world.SCOPES)
    headers = bearer(token_for(outsider))
    wrong = []
    for method, rule in _routes(app):
        scope = _guard(method, rule)
        if scope in (PUBLIC, ADMIN_SESSION, ADMIN_PUBLIC):
            continue
        response = _outsider_call(client, method, rule, _filled(rule, world.ids), world,
                                  headers)
        if scope == ADMIN_SCOPE:
            ok = response.status_code == 403
        elif rule.arguments:
            unknown = _outsider_call(client, method, rule, _unknown(rule), world, headers)
            not_found = method == "GET" or rule.rule in OBJECT_WRITES or \
                rule.rule.endswith("/attachments")
            ok = (_answer(response) == _answer(unknown) and response.status_code >= 400
                  and (not not_found or response.status_code == 404))
        elif rule.rule in BODIES and method != "GET":
            ok = response.status_code in (403, 404) and _shows_none_of(response, world)
        else:
            ok = response.status_code < 500 and _shows_none_of(response, world)
        if not ok:
            wrong.append((method, rule.rule, response.status_code))
    assert wrong == []


def test_a_coordinator_of_another_region_sees_nothing_of_it(client, app, world):
    assert sign_in(client, make_account(app, region="r2")).status_code == 302
    token = csrf_token(client.get("/admin/institutions/new").get_data(as_text=True))
    wrong = []
    for method, rule in _routes(app):
        if _guard(method, rule) != ADMIN_SESSION or (method, rule.rule) in REGION_FREE:
            continue
        data = {"csrf_token": token} if method == "POST" else None
        path = _filled(rule, world.ids)
        response = client.open(path, method=method, data=data)
        if rule.arguments:
            unknown = client.open(_unknown(rule), method=method, data=data)
            ok = (response.status_code == unknown.status_code == 404
                  and _shows_none_of(response, world, path))
        else:
            ok = response.status_code < 500 and _shows_none_of(response, world)
        if not ok:
            wrong.append((method, rule.rule, response.status_code))
    assert wrong == []


#: Admin pages that take another region's objects in the query: the answer must be the one
#: for an id that does not exist (the caller's own input echoed back aside).
REGION_QUERIES = (
    ("/admin/audit?object_id={}", "referral_id"),
    ("/admin/audit?institution={}", "institution_id"),
    ("/admin/audit/export.csv?object_id={}", "referral_id"),
    ("/admin/audit/export.jsonl?institution={}", "institution_id"),
    ("/admin/audit/access-report?institution={}&subject_ref=s-1", "institution_id"),
    ("/admin/reports?region={}", "region"),
    ("/admin/reports/export.csv?region={}", "region"),
)
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')
# a report export's "generated" header line: two requests may fall in different seconds
GENERATED = re.compile(r"^([^,\n]+,)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?(\r?)$",
                       re.MULTILINE)


def _as_for(response, real: str, unknown: str) -> str:
    """The response's text with the queried id replaced, and the CSRF token and an export's
    generation time left out."""
    text = CSRF_VALUE.sub(r"\1", _text(response).replace(real, unknown))
    return GENERATED.sub(r"\1\2", text)


def test_another_regions_objects_in_a_query_are_as_unknown(client, app, world):
    assert sign_in(client, make_account(app, region="r2")).status_code == 302
    wrong = []
    for template, name in REGION_QUERIES:
        real, unknown = world.ids[name], UNKNOWN.get(name, str(uuid.uuid4()))
        response = client.get(template.format(real))
        expected = client.get(template.format(unknown))
        if (response.status_code, _as_for(response, real, unknown)) != \
                (expected.status_code, _as_for(expected, unknown, unknown)):
            wrong.append((template, response.status_code, expected.status_code))
    assert wrong == []
