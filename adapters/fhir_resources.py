"""FHIR R4 resources of a referral view: Task, ServiceRequest, Patient, Consent, Organization.

One builder per resource, used both for the transaction Bundle sent to hospitals and for the
gateway's own FHIR reads, so ids and references are the same in both: the Task and its
ServiceRequest carry the referral id, the Patient the recipient's pair pseudonym, the
Organizations the institution ids; references are relative (``ServiceRequest/{id}``) and
resolve at the gateway's FHIR base. Only fields present in the view are mapped:
minimisation happens before this module.
"""

from __future__ import annotations

PSEUDONYM_PREFIX = "psn_"
SYSTEM = {
    "referral": "urn:gateway:referral",
    "institution": "urn:gateway:institution",
    "pseudonym": "urn:gateway:pseudonym",
    "subject_ref": "urn:gateway:subject-ref",
    "data_category": "urn:gateway:data-category",
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


def ref(kind: str, ident: str) -> dict:
    """A relative reference, resolvable at the FHIR base."""
    return {"reference": f"{kind}/{ident}"}


def _coding(system: str, code: str) -> dict:
    return {"coding": [{"system": SYSTEM[system], "code": code}]}


def drop_empty(resource: dict) -> dict:
    """The resource without members that are None or empty."""
    return {key: value for key, value in resource.items() if value not in (None, [], {})}


def _iso(moment) -> str | None:
    return moment.isoformat() if hasattr(moment, "isoformat") else moment


def patient_id(referral: dict) -> str:
    """The Patient's id: the pair pseudonym (``psn-…``), or per referral without one."""
    pseudonym = referral.get("subject_pseudonym")
    if pseudonym and pseudonym.startswith(PSEUDONYM_PREFIX):
        return "psn-" + pseudonym.removeprefix(PSEUDONYM_PREFIX)
    return f"referral-{referral['id']}"


def pseudonym_of(patient: str) -> str | None:
    """The pseudonym a Patient id names, or None if it names none."""
    return PSEUDONYM_PREFIX + patient.removeprefix("psn-") if patient.startswith("psn-") else None


def _meta(referral: dict, security: bool = False) -> dict | None:
    """``meta``: the referral's version and last update, and the security labels if asked."""
    meta = {}
    if referral.get("version") is not None:
        meta["versionId"] = str(referral["version"])
    if referral.get("updated_at"):
        meta["lastUpdated"] = referral["updated_at"]
    labels = [{key: label[key] for key in ("system", "code", "display") if label.get(key)}
              for label in referral.get("security_labels") or []] if security else []
    if labels:  # HL7 security labels of the released data categories
        meta["security"] = labels
    return meta or None


def _party(referral: dict, key: str) -> dict | None:
    return ref("Organization", referral[key]) if referral.get(key) else None


def organization(party: dict | None) -> dict | None:
    """An institution (``{"id", "name"}``) as an Organization."""
    if not party or not party.get("id"):
        return None
    return drop_empty({"resourceType": "Organization", "id": party["id"],
                       "identifier": [{"system": SYSTEM["institution"], "value": party["id"]}],
                       "active": party.get("active"), "name": party.get("name")})


def task(referral: dict) -> dict:
    """The Task that tracks ``referral`` (id = referral id)."""
    rid = referral["id"]
    resource = {
        "resourceType": "Task", "id": rid, "meta": _meta(referral),
        "identifier": [{"system": SYSTEM["referral"], "value": rid}],
        "status": TASK_STATUS[referral.get("status", "submitted")],
        "intent": "order",
        "priority": PRIORITY.get(referral.get("priority")),
        "focus": ref("ServiceRequest", rid),
        "basedOn": [ref("ServiceRequest", rid)],
        "partOf": [ref("Task", referral["part_of_id"])] if referral.get("part_of_id") else [],
        "authoredOn": referral.get("submitted_at"),
        "lastModified": referral.get("updated_at"),
        "for": ref("Patient", patient_id(referral)),
        "requester": _party(referral, "sender_institution_id"),
        "owner": _party(referral, "recipient_institution_id"),
    }
    if referral.get("business_status"):
        resource["businessStatus"] = _coding("business", referral["business_status"])
    if referral.get("decline_reason"):
        resource["statusReason"] = _coding("decline", referral["decline_reason"])
    if referral.get("priority") == "green_channel" and referral.get("decision_due_at"):
        resource["restriction"] = {"period": drop_empty({
            "start": referral.get("submitted_at"), "end": referral["decision_due_at"]})}
    outcome = referral.get("outcome") or {}
    if outcome.get("diagnosis_code"):
        resource["output"] = [{"type": {"text": "diagnosis"},
                               "valueCodeableConcept": _coding("icd10",
                                                               outcome["diagnosis_code"])}]
    return drop_empty(resource)


def task_version(referral: dict, step: dict) -> dict:
    """The Task as it was at one version (``step``: version, status, business status, time).

    The decline reason and the outcome belong to the final versions only.
    """
    status = step["status"]
    return task({
        **referral, "status": status, "business_status": step.get("business_status"),
        "version": step["version"], "updated_at": _iso(step["recorded_at"]),
        "decline_reason": referral.get("decline_reason") if status == "declined" else None,
        "outcome": referral.get("outcome") if status == "completed" else None,
    })


def service_request(referral: dict) -> dict:
    """The ServiceRequest (the referral itself; id = referral id)."""
    rid = referral["id"]
    reasons = []
    if referral.get("reason"):
        reasons.append(_coding("reason", referral["reason"]))
    if referral.get("diagnosis_code"):
        reasons.append(_coding("icd10", referral["diagnosis_code"]))
    return drop_empty({
        "resourceType": "ServiceRequest", "id": rid, "meta": _meta(referral, security=True),
        "identifier": [{"system": SYSTEM["referral"], "value": rid}],
        "status": "active", "intent": "order",
        "priority": PRIORITY.get(referral.get("priority")),
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "3457005",
                             "display": "Patient referral"}]},
        "subject": ref("Patient", patient_id(referral)),
        "requester": _party(referral, "sender_institution_id"),
        "performer": [p for p in [_party(referral, "recipient_institution_id")] if p],
        "authoredOn": referral.get("submitted_at"),
        "reasonCode": reasons,
        "note": [{"text": referral["summary"]}] if referral.get("summary") else [],
        "supportingInfo": ([ref("Consent", referral["consent_id"])]
                           if referral.get("consent_id") else []),
    })


def patient(referral: dict) -> dict:
    """The pseudonymous Patient, with only the identity fields released to the viewer."""
    pseudonym = referral.get("subject_pseudonym")
    identity = referral.get("identity") or {}
    return drop_empty({
        "resourceType": "Patient", "id": patient_id(referral), "meta": _meta(referral),
        "identifier": [{"system": SYSTEM["pseudonym"], "value": pseudonym}] if pseudonym else [],
        "name": [{"text": identity["name"]}] if identity.get("name") else [],
        "birthDate": identity.get("date_of_birth"),
    })


def consent(referral: dict, facts: dict | None = None) -> dict | None:
    """The consent the referral was sent under, without its grantor; ``facts`` (purpose,
    validity, data categories, in force) add what the gateway's own read shows."""
    if not referral.get("consent_id"):
        return None
    facts = facts or {}
    provision = {"type": "permit",
                 "purpose": [{"system": SYSTEM["purpose"],
                              "code": facts.get("purpose", "referral")}]}
    if facts.get("valid_from"):
        provision["period"] = {"start": _iso(facts["valid_from"]),
                               "end": _iso(facts["valid_until"])}
    if facts.get("data_categories"):
        provision["code"] = [{"coding": [{"system": SYSTEM["data_category"], "code": code}]}
                             for code in facts["data_categories"]]
    if referral.get("recipient_institution_id"):
        provision["actor"] = [{
            "role": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP"}]},
            "reference": ref("Organization", referral["recipient_institution_id"])}]
    return drop_empty({
        "resourceType": "Consent", "id": referral["consent_id"],
        "status": "inactive" if facts.get("in_force") is False else "active",
        "scope": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": ref("Patient", patient_id(referral)),
        "dateTime": _iso(facts.get("recorded_at")),
        "organization": [p for p in [_party(referral, "sender_institution_id")] if p],
        "policyRule": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "provision": provision,
    })
