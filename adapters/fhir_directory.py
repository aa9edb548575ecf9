"""FHIR R4 resources of the partner directory: a HealthcareService and an Endpoint per listing.

A listing is one institution the caller may refer to (``DirectoryListingSchema`` dumped). Both
resources take the institution's id, so ``HealthcareService/{id}``, ``Endpoint/{id}`` and
``Organization/{id}`` name the same partner. Every partner is reached through the gateway: the
Endpoint's address is the gateway's own FHIR base, never the partner's delivery URL. Each
resource is validated with ``fhir.resources`` (R4B) before it leaves.
"""

from __future__ import annotations

from fhir.resources.R4B.endpoint import Endpoint
from fhir.resources.R4B.healthcareservice import HealthcareService

from adapters.fhir_resources import SYSTEM, drop_empty, ref

SERVICE_SYSTEM = "urn:gateway:service"
KIND_SYSTEM = "urn:gateway:institution-kind"
SLA_EXTENSION = "urn:gateway:green-channel-sla"
CONNECTION_TYPE = "http://terminology.hl7.org/CodeSystem/endpoint-connection-type"
RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"


def _sla(sla: dict | None) -> list[dict]:
    """The green-channel promise (minutes to receipt and to decision) as an extension."""
    parts = [{"url": name.replace("_", "-"), "valueInteger": sla[name]}
             for name in ("receipt_minutes", "decision_minutes") if (sla or {}).get(name)]
    return [{"url": SLA_EXTENSION, "extension": parts}] if parts else []


def healthcare_service(listing: dict) -> dict:
    """What a partner offers: services, on-call hours and contact, green-channel SLA."""
    ident = str(listing["institution_id"])
    document = drop_empty({
        "resourceType": "HealthcareService", "id": ident, "active": True,
        "extension": _sla(listing.get("sla")),
        "identifier": [{"system": SYSTEM["institution"], "value": ident}],
        "providedBy": ref("Organization", ident),
        "category": [{"coding": [{"system": KIND_SYSTEM, "code": listing["kind"]}]}],
        "type": [{"coding": [{"system": SERVICE_SYSTEM, "code": code}]}
                 for code in listing.get("services") or []],
        "name": listing.get("name"),
        "telecom": ([{"system": "other", "value": listing["on_call_contact"], "use": "work"}]
                    if listing.get("on_call_contact") else []),
        "availabilityExceptions": (f"On call: {listing['on_call_hours']}"
                                   if listing.get("on_call_hours") else None),
        "endpoint": [ref("Endpoint", ident)],
    })
    HealthcareService.model_validate(document)
    return document


def endpoint(listing: dict, base_url: str) -> dict:
    """How to reach the partner: FHIR REST at the gateway's base (Tasks, application/fhir+json)."""
    ident = str(listing["institution_id"])
    document = drop_empty({
        "resourceType": "Endpoint", "id": ident, "status": "active",
        "identifier": [{"system": SYSTEM["institution"], "value": ident}],
        "connectionType": {"system": CONNECTION_TYPE, "code": "hl7-fhir-rest"},
        "name": f"{listing.get('name') or ident} (through the circulation gateway)",
        "managingOrganization": ref("Organization", ident),
        "payloadType": [{"coding": [{"system": RESOURCE_TYPES, "code": "Task"}]}],
        "payloadMimeType": ["application/fhir+json"],
        "address": base_url,
    })
    Endpoint.model_validate(document)
    return document
