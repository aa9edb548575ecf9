"""A hospital's integration, as its engineers would write it, against a real gunicorn.

Discovery from the SMART configuration at the FHIR base, a client assertion signed with PyJWT,
the token and the reads through fhirclient (SMART on FHIR), worklist paging and the If-Match
updates through fhirpy. Everything received validates with ``fhir.resources`` (R4B).
"""

from __future__ import annotations

import time
import uuid

import fhirclient.client
import jwt
import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from fhirclient.models.organization import Organization as ClientOrganization
from fhirclient.models.patient import Patient as ClientPatient
from fhirclient.models.servicerequest import ServiceRequest as ClientServiceRequest
from fhirclient.models.task import Task as ClientTask
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound

SCOPE = ("system/Task.rs system/Task.u system/ServiceRequest.r system/Patient.r "
         "system/Organization.r")


def _assertion(hospital, token_endpoint: str) -> str:
    """The partner's client assertion, signed with PyJWT from its PEM key."""
    now = int(time.time())
    return jwt.encode({"iss": hospital.client_id, "sub": hospital.client_id,
                       "aud": token_endpoint, "iat": now, "exp": now + 120,
                       "jti": str(uuid.uuid4())},
                      hospital.key.as_pem(private=True), algorithm="ES256",
                      headers={"kid": hospital.key.kid})


def test_hospital_integrates_with_fhirclient_and_fhirpy(live, worklist):
    school, hospital, _school_auth, _hospital_auth, ids = worklist
    base = live.url + "/fhir/R4"
    smart = requests.get(base + "/.well-known/smart-configuration", timeout=10).json()
    assert "system/Task.rs" in smart["scopes_supported"]

    settings = {"app_id": hospital.client_id, "api_base": base + "/", "scope": SCOPE,
                "jwt_token": _assertion(hospital, smart["token_endpoint"])}
    fhir_client = fhirclient.client.FHIRClient(settings=settings)
    fhir_client.wants_patient = False
    assert fhir_client.prepare() is False  # the CapabilityStatement asks for SMART auth
    fhir_client.authorize()
    assert fhir_client.ready
    server = fhir_client.server
    urgent = list(ClientTask.where({"status": "requested", "priority": "stat"})
                  .perform_resources_iter(server))
    assert sorted(task.id for task in urgent) == sorted([ids[0], ids[2]])
    task = Task.model_validate(urgent[0].as_json())
    request_id = task.focus.reference.split("/")[1]
    ServiceRequest.model_validate(ClientServiceRequest.read(request_id, server).as_json())
    Patient.model_validate(
        ClientPatient.read(task.for_fhir.reference.split("/")[1], server).as_json())
    organization = ClientOrganization.read(str(school.institution_id), server)
    assert Organization.model_validate(organization.as_json()).id == str(school.institution_id)

    token = f"Bearer {server.auth.access_token}"
    fhirpy = SyncFHIRClient(base, authorization=token)
    worklist = fhirpy.resources("Task").search(status="requested").limit(1)
    assert [t["id"] for t in worklist.fetch_all()] == list(reversed(ids))  # three pages
    bundle = Bundle.model_validate(fhirpy.execute("Task", method="get",
                                                  params={"_include": "Task:focus"}))
    assert (bundle.total, len(bundle.entry)) == (3, 6)

    rid = ids[0]
    current = fhirpy.reference("Task", rid).to_resource().serialize()
    first_version = current["meta"]["versionId"]

    def update(version: str, status: str) -> dict:
        client = SyncFHIRClient(base, authorization=token,
                                extra_headers={"If-Match": f'W/"{version}"'})
        resource = client.resource("Task", **{**current, "status": status})
        resource.save()
        return resource.serialize()

    accepted = update(first_version, "accepted")
    assert Task.model_validate(accepted).status == "accepted"
    assert accepted["meta"]["versionId"] != first_version
    completed = update(accepted["meta"]["versionId"], "completed")
    assert Task.model_validate(completed).status == "completed"
    with pytest.raises(MultipleResourcesFound) as refused:  # fhirpy's name for a 412
        update(first_version, "completed")
    OperationOutcome.model_validate_json(str(refused.value))
