"""The CapabilityStatement of the gateway's FHIR endpoint: what hospitals can do there."""

from __future__ import annotations

from datetime import UTC, datetime

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

FHIR_VERSION = "4.0.1"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
TASK_SEARCH = [
    ("status", "token", "Task status (requested, received, accepted, in-progress, …)"),
    ("priority", "token", "routine | urgent | stat (green channel)"),
    ("owner", "reference", "The receiving Organization (default: the caller)"),
    ("requester", "reference", "The sending Organization"),
    ("_lastUpdated", "date", "gt, ge, lt or le and a moment with its time zone"),
    ("_count", "number", "Page size (1-100, default 20)"),
    ("_include", "special", "Task:focus brings each Task's ServiceRequest"),
    ("_sort", "special", "_lastUpdated (oldest change first), -_lastUpdated (latest first) or "
                         "deadline (the SLA deadline the owner must meet next, most urgent "
                         "first; Tasks with none last); default: newest Task first"),
]

DIRECTORY_SEARCH = {
    "HealthcareService": [
        ("organization", "reference", "The partner's Organization"),
        ("service-type", "token", "A service offered (urn:gateway:service)"),
        ("service-category", "token", "The partner's kind (urn:gateway:institution-kind)"),
        ("_include", "special", "HealthcareService:endpoint, HealthcareService:organization"),
    ],
    "Endpoint": [("organization", "reference", "The partner the Endpoint reaches")],
}


def _read(kind: str) -> dict:
    return {"type": kind, "interaction": [{"code": "read"}]}


def _directory(kind: str) -> dict:
    """A partner-directory resource: read and search (the caller's referral partners only)."""
    resource = {"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [{"name": name, "type": kind_, "documentation": text}
                                for name, kind_, text in DIRECTORY_SEARCH[kind]]}
    if kind == "HealthcareService":
        resource["searchInclude"] = ["HealthcareService:endpoint",
                                     "HealthcareService:organization"]
    return resource


def capability_statement(base_url: str, token_url: str) -> dict:
    """Task search, read, history, update and create (onward referral); reads of what a
    Task points at; the partner directory (HealthcareService, Endpoint); the hand-back
    (Communication create)."""
    task = {
        "type": "Task",
        "interaction": [{"code": code} for code in
                        ("read", "vread", "update", "create", "search-type",
                         "history-instance")],
        "versioning": "versioned-update", "readHistory": True, "updateCreate": False,
        "conditionalUpdate": False,
        "searchInclude": ["Task:focus"],
        "searchParam": [{"name": name, "type": kind, "documentation": text}
                        for name, kind, text in TASK_SEARCH],
    }
    document = {
        "resourceType": "CapabilityStatement", "status": "active",
        "date": datetime.now(UTC).date().isoformat(), "kind": "instance",
        "publisher": "Circulation gateway",
        "implementation": {"description": "Referral gateway FHIR endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION, "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "extension": [{"url": OAUTH_URIS,
                               "extension": [{"url": "token", "valueUri": token_url}]}],
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR"}]}],
                "description": "SMART Backend Services: client credentials with "
                               "private_key_jwt; scopes system/Task.rs, system/Task.u, "
                               "system/ServiceRequest.r, system/HealthcareService.rs, "
                               "system/Endpoint.rs, system/Communication.c (or "
                               "referrals:read, referrals:write). "
                               "Discovery at .well-known/smart-configuration."},
            "resource": [task, _read("ServiceRequest"), _read("Patient"),
                         _read("Consent"), _read("Organization"),
                         _directory("HealthcareService"), _directory("Endpoint"),
                         {"type": "Communication", "interaction": [{"code": "create"}],
                          "documentation": "A hospital's hand-back after care on the "
                                           "referral's Task (partOf Task/{id}): discharge "
                                           "advice, follow-ups, return to school"}],
        }],
    }
    CapabilityStatement.model_validate(document)
    return document
