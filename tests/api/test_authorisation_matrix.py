"""Issue 16: the authorisation matrix, generated from the app's route table. Every API, FHIR and
admin route has an entry saying what guards it; a route without an entry fails the test. Each
guarded API and FHIR route is called with no token, a token without its scope, an expired
token and the token of a revoked client, and must refuse each one before doing anything;
each admin page refuses a caller who is not signed in.

Not here yet (the lead knows): the "other institution's token" and "coordinator of another
region" columns, which need a real object behind every route (the 404 tests of each domain
cover them route by route today).
"""

from __future__ import annotations

import time
import uuid

from werkzeug.routing import Rule

from gateway.db import transaction
from gateway.services.network import clients
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
