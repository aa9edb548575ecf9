"""FHIR AuditEvent export (IHE BALP), validated with fhir.resources (R4B)."""

from __future__ import annotations

import json

from fhir.resources.R4B.auditevent import AuditEvent

from adapters.fhir_audit import audit_event

ISSUER = "http://gateway.test"


def _entry(**changes: object) -> dict:
    entry = {"leaf_index": 7, "recorded_at": "2026-12-01T10:00:00.123456+00:00",
             "actor": "client:gw_abc", "actor_institution_id": "5f1c1e52-1111-4c8e-9e1d-3f2",
             "action": "referral.created", "object_type": "referral", "object_id": "r-1",
             "purpose": "green_channel_referral", "consent_id": "c-1", "outcome": "success",
             "request_id": "req-1", "detail": {}}
    return {**entry, **changes}


def test_a_create_is_a_balp_rest_event_with_purpose_consent_and_leaf():
    event = AuditEvent.model_validate(audit_event(_entry(), ISSUER))
    assert (event.type.code, event.subtype[0].code, event.action) == ("rest", "create", "C")
    assert event.outcome == "0"
    assert {c.code for c in event.purposeOfEvent[0].coding} == {"green_channel_referral",
                                                               "ETREAT"}
    requestor = [a for a in event.agent if a.requestor]
    assert requestor[0].who.identifier.value == "client:gw_abc"
    assert [e.what.reference for e in event.entity if e.what.reference] == ["Consent/c-1"]
    details = {d.type: d.valueString for d in event.entity[0].detail}
    assert details == {"leaf_index": "7", "request_id": "req-1"}


def test_a_refusal_is_a_failed_gateway_event():
    event = AuditEvent.model_validate(audit_event(_entry(
        action="security.consent_refused", object_type="consent", object_id=None,
        purpose=None, consent_id=None, outcome="failure", request_id=None,
        actor_institution_id=None), ISSUER))
    assert (event.type.code, event.action, event.outcome) == (
        "security.consent_refused", "E", "4")
    assert event.purposeOfEvent is None and len(event.agent) == 1


def test_the_export_writes_valid_audit_events(app, referral, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0
    result = runner.invoke(args=["audit", "export", str(tmp_path), "--fhir"])
    assert result.exit_code == 0, result.output
    events = [AuditEvent.model_validate(json.loads(line))
              for line in (tmp_path / "audit-events.ndjson").read_text().splitlines()]
    assert events and [e.id for e in events] == [f"audit-{i}" for i in range(len(events))]
    assert any(e.subtype and e.subtype[0].code == "create" for e in events)
