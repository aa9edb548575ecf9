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
from datetime import datetime

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from adapters import Endpoint, HttpRequest, Outbound
from adapters import fhir_resources as resources
from adapters.webhook import encode, signed_headers

FORMAT = "fhir_r4"
FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
NOTE_MAX_CHARS = 4000  # as the REST API's notes
ID_NAMESPACE = uuid.UUID("6f1d6c1e-5d0c-4f43-9d8e-2a8f5f0b7c11")
SYSTEM = resources.SYSTEM
INBOUND_STATUS = {"received": "received", "accepted": "accepted", "rejected": "declined",
                  "in-progress": "in_progress", "completed": "completed"}
BUSINESS_CODES = {"received", "under_review", "event_scheduled", "event_unattended",
                  "event_completed", "interim_report", "fulfillment_completed"}
REASON_CODES = {"suicide_risk", "self_harm", "psychotic_symptoms", "depressive_symptoms",
                "anxiety_symptoms", "other"}
DECLINE_CODES = {"no_capacity", "outside_catchment", "out_of_scope", "not_indicated",
                 "incomplete_information", "referred_elsewhere", "other"}
task_resource = resources.task


class Malformed(ValueError):
    """Not a valid FHIR R4 Task for this URL."""


class Unmappable(ValueError):
    """A valid Task whose content has no meaning in the referral lifecycle."""


@dataclass(frozen=True)
class TaskUpdate:
    """What a hospital's Task says, in the gateway's words (checked by the REST schemas)."""

    status: str
    business_status: str | None = None
    reason_code: str | None = None
    note: str | None = None
    diagnosis_code: str | None = None


@dataclass(frozen=True)
class OnwardTask:
    """A hospital's new Task: an onward referral of one it received."""

    part_of: str
    recipient: str
    subject_ref: str
    priority: str
    reason: str
    summary: str | None = None


def _uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}/{key}"))


def _entry(resource: dict) -> dict:
    kind, ident = resource["resourceType"], resource["id"]
    return {"resource": resource, "request": {"method": "PUT", "url": f"{kind}/{ident}"}}


def _bundle(message: Outbound, members: list[dict | None], now: datetime) -> dict:
    document = {
        "resourceType": "Bundle", "type": "transaction",
        "identifier": {"system": SYSTEM["message"], "value": message.idempotency_key},
        "timestamp": now.isoformat(),
        "entry": [_entry(resource) for resource in members if resource],
    }
    Bundle.model_validate(document)
    return document


def referral_bundle(message: Outbound, now: datetime) -> dict:
    """The transaction Bundle for a submitted referral (validated)."""
    payload = message.payload
    referral = payload["referral"]
    return _bundle(message, [
        resources.organization(payload.get("sender")),
        resources.organization(payload.get("recipient")),
        resources.patient(referral), resources.consent(referral),
        resources.service_request(referral), resources.task(referral)], now)


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


def _diagnosis(task: Task) -> str | None:
    """The outcome diagnosis in ``Task.output``: one ICD-10 coding, nothing else.

    A coding in another system is refused, not dropped; the code itself is checked by the
    same validator as on the REST API (an ICD-10 F-chapter code).
    """
    codes = [(system, code) for output in task.output or []
             for system, code in _codes(getattr(output, "valueCodeableConcept", None))]
    if any(system != SYSTEM["icd10"] for system, _code in codes):
        raise Unmappable(f"Task.output codings must be in the system {SYSTEM['icd10']}")
    if len({code for _system, code in codes}) > 1:
        raise Unmappable("Task.output may hold one diagnosis")
    return codes[0][1] if codes else None


def _validated_task(document: object) -> Task:
    """The body as a valid R4 Task, or :class:`Malformed` naming where it is not."""
    if not isinstance(document, dict) or document.get("resourceType") != "Task":
        raise Malformed("the body must be a FHIR Task resource")
    try:
        return Task.model_validate(document)
    except (ValidationError, ValueError) as exc:
        where = "; ".join(".".join(str(p) for p in error["loc"]) or "Task"
                          for error in getattr(exc, "errors", list)()[:5])
        raise Malformed(f"not a valid FHIR R4 Task ({where or 'invalid'})") from None


def referenced(reference, kind: str, what: str) -> str:
    """The id in a relative reference ``{kind}/{id}``, or :class:`Unmappable`."""
    text = getattr(reference, "reference", None) or ""
    if not text.startswith(f"{kind}/") or "/" in text.removeprefix(f"{kind}/"):
        raise Unmappable(f"{what} must be a reference {kind}/{{id}}")
    return text.removeprefix(f"{kind}/")


def parse_onward_task(document: object) -> OnwardTask:
    """Map a hospital's new Task (the body of ``POST Task``) onto an onward referral."""
    task = _validated_task(document)
    if task.id is not None:
        raise Malformed("a new Task has no id; the gateway assigns it")
    if task.status != "requested" or task.intent != "order":
        raise Unmappable("a new Task has status requested and intent order")
    parents = [referenced(part, "Task", "Task.partOf") for part in task.partOf or []]
    parents += [referenced(based, "ServiceRequest", "Task.basedOn")
                for based in task.basedOn or []]
    if len(set(parents)) != 1:
        raise Unmappable("Task.partOf (or basedOn) must name the one referral this continues")
    if task.owner is None:
        raise Unmappable("Task.owner must name the Organization referred to")
    subject = getattr(task.for_fhir, "identifier", None)
    if subject is None or subject.system != SYSTEM["subject_ref"] or not subject.value:
        raise Unmappable(f"Task.for.identifier must hold your own reference for the student "
                         f"(system {SYSTEM['subject_ref']})")
    reason = _one_code(task.reasonCode, REASON_CODES, "Task.reasonCode")
    if reason is None:
        raise Unmappable("Task.reasonCode needs a referral reason code")
    priority = {code: ours for ours, code in resources.PRIORITY.items()}.get(
        task.priority or "routine")
    if priority is None:
        raise Unmappable("Task.priority must be routine, urgent or stat")
    return OnwardTask(part_of=parents[0],
                      recipient=referenced(task.owner, "Organization", "Task.owner"),
                      subject_ref=subject.value, priority=priority, reason=reason,
                      summary=task.description)


def parse_task_update(document: object, task_id: str) -> TaskUpdate:
    """Map a hospital's Task (the body of ``PUT Task/{id}``) onto a lifecycle change."""
    task = _validated_task(document)
    if task.id != task_id:
        raise Malformed("the Task id must match the id in the URL")
    status = INBOUND_STATUS.get(task.status)
    if status is None:
        raise Unmappable("Task.status must be one of "  # the partner's value is not echoed
                         f"{', '.join(sorted(INBOUND_STATUS))}")
    reason = _one_code(task.statusReason, DECLINE_CODES, "Task.statusReason")
    if status == "declined" and reason is None:
        raise Unmappable("a rejected Task needs a statusReason with a decline code")
    diagnosis = _diagnosis(task)
    note = "\n".join(note.text for note in task.note or [] if note.text) or None
    if note is not None and len(note) > NOTE_MAX_CHARS:
        raise Unmappable(f"Task.note may hold at most {NOTE_MAX_CHARS} characters in all")
    return TaskUpdate(status=status,
                      business_status=_one_code(task.businessStatus, BUSINESS_CODES,
                                                "Task.businessStatus"),
                      reason_code=reason, note=note,
                      diagnosis_code=diagnosis)


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict:
    """An OperationOutcome with one issue (never holding personal data)."""
    document = {"resourceType": "OperationOutcome",
                "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]}
    OperationOutcome.model_validate(document)
    return document


def searchset(matches: list[dict], included: list[dict], total: int,
              links: dict[str, str]) -> dict:
    """A ``searchset`` Bundle: the matches, the included resources, ``total`` and links."""
    document = resources.drop_empty({
        "resourceType": "Bundle", "type": "searchset", "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [{"resource": resource, "search": {"mode": mode}}
                  for mode, group in (("match", matches), ("include", included))
                  for resource in group],
    })
    Bundle.model_validate(document)
    return document



def history(versions: list[dict]) -> dict:
    """A ``history`` Bundle of one resource's versions, newest first."""
    document = resources.drop_empty({
        "resourceType": "Bundle", "type": "history", "total": len(versions),
        "entry": [{"resource": resource,
                   "request": {"method": "PUT",
                               "url": f"{resource['resourceType']}/{resource['id']}"},
                   "response": {"status": "200",
                                "etag": f'W/"{resource["meta"]["versionId"]}"',
                                "lastModified": resource["meta"].get("lastUpdated")}}
                  for resource in versions],
    })
    Bundle.model_validate(document)
    return document
