"""FHIR R4 for hospitals: referrals out as transaction Bundles, Task status updates in.

Outbound, a submitted referral becomes a ``transaction`` Bundle of ServiceRequest + Task +
a pseudonymous Patient + Consent + the two Organizations (PUT with stable ids, so a repeated
delivery changes nothing at the receiver); later events become a Task update, anything else a
Communication. Every document is validated with ``fhir.resources`` (R4B models, whose
ServiceRequest, Task, Patient, Consent and Organization are those of R4) before it leaves.
Only fields present in the referral view are mapped: minimisation happens before this module.

Inbound, :func:`parse_task_update` maps a hospital's Task onto the referral lifecycle or
raises :class:`Unmappable` / :class:`Malformed`, answered with an OperationOutcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from adapters import Endpoint, HttpRequest, Outbound
from adapters.webhook import encode, signed_headers

FORMAT = "fhir_r4"
FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
NOTE_MAX_CHARS = 4000  # as the REST API's notes
ID_NAMESPACE = uuid.UUID("6f1d6c1e-5d0c-4f43-9d8e-2a8f5f0b7c11")
SYSTEM = {
    "referral": "urn:gateway:referral",
    "institution": "urn:gateway:institution",
    "pseudonym": "urn:gateway:pseudonym",
    "message": "urn:gateway:message",
    "reason": "urn:gateway:referral-reason",
    "business": "urn:gateway:business-status",
    "decline": "urn:gateway:decline-reason",
    "purpose": "urn:gateway:purpose",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
}
PRIORITY = {"routine": "routine", "urgent": "urgent", "green_channel": "stat"}
TASK_STATUS = {"draft": "draft", "submitted": "requested", "received": "received",
               "accepted": "accepted", "in_progress": "in-progress", "completed": "completed",
               "declined": "rejected", "withdrawn": "cancelled", "expired": "failed"}
INBOUND_STATUS = {"received": "received", "accepted": "accepted", "rejected": "declined",
                  "in-progress": "in_progress", "completed": "completed"}
BUSINESS_CODES = {"received", "under_review", "event_scheduled", "event_unattended",
                  "event_completed", "interim_report", "fulfillment_completed"}
DECLINE_CODES = {"no_capacity", "outside_catchment", "out_of_scope", "not_indicated",
                 "incomplete_information", "referred_elsewhere", "other"}


class Malformed(ValueError):
    """Not a valid FHIR R4 Task for this URL."""


class Unmappable(ValueError):
    """A valid Task whose content has no meaning in the referral lifecycle."""


@dataclass(frozen=True)
class TaskUpdate:
    """What a hospital's Task says, in the gateway's words."""

    status: str
    business_status: str | None = None
    reason_code: str | None = None
    note: str | None = None
    diagnosis_code: str | None = None


def _uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}/{key}"))


def _ref(resource_id: str) -> dict:
    return {"reference": f"urn:uuid:{resource_id}"}


def _coding(system: str, code: str) -> dict:
    return {"coding": [{"system": SYSTEM[system], "code": code}]}


def _entry(resource: dict) -> dict:
    kind, ident = resource["resourceType"], resource["id"]
    return {"fullUrl": f"urn:uuid:{ident}", "resource": resource,
            "request": {"method": "PUT", "url": f"{kind}/{ident}"}}


def _drop_empty(resource: dict) -> dict:
    return {key: value for key, value in resource.items() if value not in (None, [], {})}


def _organization(party: dict | None) -> dict | None:
    if not party or not party.get("id"):
        return None
    return _drop_empty({"resourceType": "Organization", "id": party["id"],
                        "identifier": [{"system": SYSTEM["institution"], "value": party["id"]}],
                        "name": party.get("name")})


def _security(referral: dict) -> dict | None:
    """HL7 security labels of the released data categories, as ``meta.security``."""
    labels = [{key: label[key] for key in ("system", "code", "display") if label.get(key)}
              for label in referral.get("security_labels") or []]
    return {"security": labels} if labels else None


def _patient_id(referral: dict) -> str:
    """The pseudonymous Patient: by pseudonym, or per referral when the view has none."""
    return _uid("Patient", referral.get("subject_pseudonym") or f"referral/{referral['id']}")


def task_resource(referral: dict) -> dict:
    """The Task that tracks ``referral`` (id = referral id), from the fields present."""
    rid = referral["id"]
    task = {
        "resourceType": "Task", "id": rid,
        "identifier": [{"system": SYSTEM["referral"], "value": rid}],
        "status": TASK_STATUS[referral.get("status", "submitted")],
        "intent": "order",
        "priority": PRIORITY.get(referral.get("priority")),
        "focus": _ref(_uid("ServiceRequest", rid)),
        "basedOn": [_ref(_uid("ServiceRequest", rid))],
        "authoredOn": referral.get("submitted_at"),
        "for": _ref(_patient_id(referral)),
    }
    if referral.get("business_status"):
        task["businessStatus"] = _coding("business", referral["business_status"])
    if referral.get("decline_reason"):
        task["statusReason"] = _coding("decline", referral["decline_reason"])
    if referral.get("sender_institution_id"):
        task["requester"] = _ref(referral["sender_institution_id"])
    if referral.get("recipient_institution_id"):
        task["owner"] = _ref(referral["recipient_institution_id"])
    if referral.get("priority") == "green_channel" and referral.get("decision_due_at"):
        task["restriction"] = {"period": _drop_empty({"start": referral.get("submitted_at"),
                                                      "end": referral["decision_due_at"]})}
    return _drop_empty(task)


def _service_request(referral: dict) -> dict:
    rid = referral["id"]
    reasons = []
    if referral.get("reason"):
        reasons.append(_coding("reason", referral["reason"]))
    if referral.get("diagnosis_code"):
        reasons.append(_coding("icd10", referral["diagnosis_code"]))
    return _drop_empty({
        "resourceType": "ServiceRequest", "id": _uid("ServiceRequest", rid),
        "meta": _security(referral),
        "identifier": [{"system": SYSTEM["referral"], "value": rid}],
        "status": "active", "intent": "order",
        "priority": PRIORITY.get(referral.get("priority")),
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "3457005",
                             "display": "Patient referral"}]},
        "subject": _ref(_patient_id(referral)),
        "requester": (_ref(referral["sender_institution_id"])
                      if referral.get("sender_institution_id") else None),
        "performer": ([_ref(referral["recipient_institution_id"])]
                      if referral.get("recipient_institution_id") else []),
        "authoredOn": referral.get("submitted_at"),
        "reasonCode": reasons,
        "note": [{"text": referral["summary"]}] if referral.get("summary") else [],
        "supportingInfo": [_ref(referral["consent_id"])] if referral.get("consent_id") else [],
    })


def _patient(referral: dict) -> dict:
    pseudonym = referral.get("subject_pseudonym")
    identifier = [{"system": SYSTEM["pseudonym"], "value": pseudonym}] if pseudonym else []
    return _drop_empty({"resourceType": "Patient", "id": _patient_id(referral),
                        "identifier": identifier})


def _consent(referral: dict) -> dict | None:
    if not referral.get("consent_id"):
        return None
    provision = {"type": "permit",
                 "purpose": [{"system": SYSTEM["purpose"], "code": "referral"}]}
    if referral.get("recipient_institution_id"):
        provision["actor"] = [{
            "role": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP"}]},
            "reference": _ref(referral["recipient_institution_id"])}]
    return _drop_empty({
        "resourceType": "Consent", "id": referral["consent_id"], "status": "active",
        "scope": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": _ref(_patient_id(referral)),
        "organization": ([_ref(referral["sender_institution_id"])]
                         if referral.get("sender_institution_id") else []),
        "policyRule": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "provision": provision,
    })


def _bundle(message: Outbound, resources: list[dict | None], now: datetime) -> dict:
    document = {
        "resourceType": "Bundle", "type": "transaction",
        "identifier": {"system": SYSTEM["message"], "value": message.idempotency_key},
        "timestamp": now.isoformat(),
        "entry": [_entry(resource) for resource in resources if resource],
    }
    Bundle.model_validate(document)
    return document


def referral_bundle(message: Outbound, now: datetime) -> dict:
    """The transaction Bundle for a submitted referral (validated)."""
    payload = message.payload
    referral = payload["referral"]
    return _bundle(message, [
        _organization(payload.get("sender")), _organization(payload.get("recipient")),
        _patient(referral), _consent(referral), _service_request(referral),
        task_resource(referral)], now)


def _communication(message: Outbound, now: datetime) -> dict:
    payload = message.payload
    text = payload.get("event", message.topic)
    if payload.get("on_call_contact"):
        text += f"; on call: {payload['on_call_contact']}"
    communication = {
        "resourceType": "Communication", "id": _uid("Communication", message.idempotency_key),
        "status": "completed", "sent": now.isoformat(),
        "priority": "stat" if "sla" in message.topic else "routine",
        "payload": [{"contentString": text}],
    }
    referral_id = payload.get("referral", {}).get("id") or payload.get("referral_id")
    if referral_id:
        communication["about"] = [{"reference": f"Task/{referral_id}"}]
    return communication


def document_for(message: Outbound, now: datetime) -> dict:
    """The FHIR document a message becomes: Bundle for the referral, Task update, or notice."""
    if message.topic == "referral.submitted":
        return referral_bundle(message, now)
    if "referral" in message.payload and message.topic.startswith("referral.") \
            and "sla" not in message.topic:
        return _bundle(message, [task_resource(message.payload["referral"])], now)
    return _bundle(message, [_communication(message, now)], now)


def render(message: Outbound, endpoint: Endpoint, now: datetime) -> HttpRequest:
    """POST the message's Bundle to the hospital's FHIR base, signed like a webhook."""
    body = encode(document_for(message, now))
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON,
               "Idempotency-Key": message.idempotency_key,
               **signed_headers(endpoint.secret, message.idempotency_key, body, now)}
    return HttpRequest(endpoint.url, body, headers)


def _codes(concept) -> list[tuple[str | None, str]]:
    return [(coding.system, coding.code) for coding in (concept.coding or [])] if concept else []


def _one_code(concept, allowed: set[str], what: str) -> str | None:
    if concept is None:
        return None
    for _system, code in _codes(concept):
        if code in allowed:
            return code
    raise Unmappable(f"{what} has no code the gateway knows")


def parse_task_update(document: object, task_id: str) -> TaskUpdate:
    """Map a hospital's Task (the body of ``PUT Task/{id}``) onto a lifecycle change."""
    if not isinstance(document, dict) or document.get("resourceType") != "Task":
        raise Malformed("the body must be a FHIR Task resource")
    try:
        task = Task.model_validate(document)
    except (ValidationError, ValueError) as exc:
        where = "; ".join(".".join(str(p) for p in error["loc"]) or "Task"
                          for error in getattr(exc, "errors", list)()[:5])
        raise Malformed(f"not a valid FHIR R4 Task ({where or 'invalid'})") from None
    if task.id != task_id:
        raise Malformed("the Task id must match the id in the URL")
    status = INBOUND_STATUS.get(task.status)
    if status is None:
        raise Unmappable("Task.status must be one of "  # the partner's value is not echoed
                         f"{', '.join(sorted(INBOUND_STATUS))}")
    reason = _one_code(task.statusReason, DECLINE_CODES, "Task.statusReason")
    if status == "declined" and reason is None:
        raise Unmappable("a rejected Task needs a statusReason with a decline code")
    diagnosis = None
    for output in task.output or []:
        concept = getattr(output, "valueCodeableConcept", None)
        diagnosis = next((code for system, code in _codes(concept)
                          if system == SYSTEM["icd10"]), diagnosis)
    note = "\n".join(note.text for note in task.note or [] if note.text) or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise Unmappable(f"Task.note may hold at most {NOTE_MAX_CHARS} characters in all")
    return TaskUpdate(status=status,
                      business_status=_one_code(task.businessStatus, BUSINESS_CODES,
                                                "Task.businessStatus"),
                      reason_code=reason, note=note,
                      diagnosis_code=diagnosis)


def capability_statement(base_url: str) -> dict:
    """What the gateway's FHIR endpoint offers: Task read and update (validated)."""
    document = {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": datetime.now(UTC).date().isoformat(), "kind": "instance",
        "publisher": "Circulation gateway",
        "implementation": {"description": "Referral gateway FHIR endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION, "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {"service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                "code": "SMART-on-FHIR"}]}],
                "description": "OAuth 2 client credentials (private_key_jwt); scope "
                               "referrals:write to update, referrals:read to read."},
            "resource": [{"type": "Task", "interaction": [{"code": "read"}, {"code": "update"}],
                          "updateCreate": False}],
        }],
    }
    CapabilityStatement.model_validate(document)
    return document


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict:
    """An OperationOutcome with one issue (never holding personal data)."""
    document = {"resourceType": "OperationOutcome",
                "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}
    OperationOutcome.model_validate(document)
    return document
