"""Audit entries as FHIR R4 AuditEvent resources, after IHE Basic Audit Log Patterns (BALP).

One entry becomes one AuditEvent: the RESTful interaction it records (type ``rest`` with the
interaction as subtype, BALP's pattern for create/read/update/delete) or, for other actions,
the gateway's own action code; the requesting client or coordinator as the requestor agent,
its institution beside it; the gateway as the source; the object, the consent or break-glass
release and the entry's leaf in the transparency log as entities. Entries hold no personal
data, and neither do the events. Every document is validated with ``fhir.resources`` (R4B).
"""

from __future__ import annotations

from fhir.resources.R4B.auditevent import AuditEvent

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
PURPOSE_OF_USE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
#: the last word of an action ("referral.created") → (interaction, AuditEvent.action)
INTERACTIONS = {"created": ("create", "C"), "recorded": ("create", "C"),
                "registered": ("create", "C"), "read": ("read", "R"), "viewed": ("read", "R"),
                "listed": ("search-type", "R"), "updated": ("update", "U"),
                "changed": ("update", "U"), "deleted": ("delete", "D")}
#: the gateway's purposes that have a HL7 v3 purpose of use
PURPOSES = {"green_channel_referral": "ETREAT", "referral": "TREAT", "supervision": "HOPERAT",
            "handover": "TREAT"}
OUTCOMES = {"success": "0", "failure": "4"}


def _coding(system: str, code: str) -> dict:
    return {"system": system, "code": code}


def _identifier(system: str, value: str) -> dict:
    return {"identifier": {"system": system, "value": value}}


def _kind(entry: dict, issuer: str) -> tuple[dict, list[dict], str]:
    """AuditEvent type, subtype and action for the entry's action."""
    interaction = INTERACTIONS.get(entry["action"].rsplit(".", 1)[-1])
    if interaction is None:
        return _coding(f"{issuer}/audit/action", entry["action"]), [], "E"
    code, action = interaction
    return (_coding(AUDIT_EVENT_TYPE, "rest"),
            [_coding(RESTFUL_INTERACTION, code), _coding(f"{issuer}/audit/action",
                                                         entry["action"])], action)


def _agents(entry: dict, issuer: str) -> list[dict]:
    agents = [{"who": _identifier(f"{issuer}/actors", entry["actor"]), "requestor": True}]
    if entry["actor_institution_id"]:
        agents.append({"who": _identifier(f"{issuer}/institutions",
                                          entry["actor_institution_id"]), "requestor": False})
    return agents


def _entities(entry: dict, issuer: str) -> list[dict]:
    found = [{"what": _identifier(f"{issuer}/{entry['object_type']}",
                                  entry["object_id"] or "-"),
              "type": _coding(f"{issuer}/audit/object-type", entry["object_type"]),
              "role": _coding(OBJECT_ROLE, "4"),  # domain resource
              "detail": [{"type": "leaf_index", "valueString": str(entry["leaf_index"])},
                         {"type": "request_id", "valueString": entry["request_id"] or "-"}]}]
    if entry["consent_id"]:
        found.append({"what": {"reference": f"Consent/{entry['consent_id']}"},
                      "type": _coding(f"{issuer}/audit/object-type", "consent")})
    if (entry["detail"] or {}).get("breakglass"):
        found.append({"what": _identifier(f"{issuer}/breakglass_release",
                                          entry["object_id"] or "-"),
                      "type": _coding(f"{issuer}/audit/object-type", "breakglass_release")})
    return found


def audit_event(entry: dict, issuer: str) -> dict:
    """The BALP AuditEvent of one sequenced entry (as :mod:`gateway.audit.entries` holds it)."""
    event_type, subtype, action = _kind(entry, issuer)
    purposes = [{"coding": [_coding(f"{issuer}/purpose", entry["purpose"])]
                 + ([_coding(PURPOSE_OF_USE, PURPOSES[entry["purpose"]])]
                    if entry["purpose"] in PURPOSES else [])}] if entry["purpose"] else []
    resource = {
        "resourceType": "AuditEvent",
        "id": f"audit-{entry['leaf_index']}",
        "type": event_type,
        "subtype": subtype or None,
        "action": action,
        "recorded": entry["recorded_at"],
        "outcome": OUTCOMES.get(entry["outcome"], "8"),
        "purposeOfEvent": purposes or None,
        "agent": _agents(entry, issuer),
        "source": {"site": issuer, "observer": {"display": "circulation gateway"},
                   "type": [_coding(SOURCE_TYPE, "4")]},  # application server
        "entity": _entities(entry, issuer),
    }
    resource = {k: v for k, v in resource.items() if v is not None}
    return AuditEvent.model_validate(resource).model_dump(mode="json", exclude_none=True)
