"""FHIR's HTTP rules at the gateway's FHIR base: media types, versions, ``Prefer``, errors.

- Responses are ``application/fhir+json``; ``Accept`` or ``_format`` asking for anything else
  (``application/fhir+xml`` included) is a 406 OperationOutcome.
- A write whose body is not ``application/fhir+json`` (or ``application/json``) is a 415.
- Versioned resources carry ``ETag: W/"n"``; ``If-Match`` names the version an update is
  made from; ``Prefer: return=minimal`` answers an update without a body.
"""

from __future__ import annotations

import re
import uuid

from flask import Response, json, request
from marshmallow import ValidationError

from adapters import fhir
from gateway.problems import PROBLEM_JSON
from gateway.services.errors import NotFound
from schemas.storable import unstorable_text

JSON_TYPES = ("application/fhir+json", "application/json")
FORMAT_ALIASES = {"json", "application/json", "application/fhir+json"}
OUTCOME_CODE = {400: "invalid", 403: "forbidden", 404: "not-found", 406: "not-supported",
                409: "conflict", 412: "conflict", 415: "not-supported", 422: "processing"}
ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')


class BadRequest(ValueError):
    """A request the FHIR base cannot take, with its status (no client text echoed)."""

    def __init__(self, status: int, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status = status


def resource_uuid(ident: str, kind: str) -> uuid.UUID:
    """The UUID a resource id (or an ``Organization/{id}`` reference) names; NotFound if none."""
    try:
        return uuid.UUID(ident.removeprefix("Organization/"))
    except ValueError:
        raise NotFound(f"No {kind} with that id.") from None


def refused(exc: ValidationError, status: int, what: str) -> BadRequest:
    """A schema refusal naming the fields (never the values) that failed."""
    fields = sorted(str(name) for name in exc.normalized_messages())
    return BadRequest(status, f"{what}: {', '.join(fields)} refused"[:300])


def fhir_response(document: dict | None, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON response (no body when ``document`` is None)."""
    body = json.dumps(document) if document is not None else ""
    response = Response(body, status=status, mimetype=fhir.FHIR_JSON)
    response.headers.update(headers or {})
    return response


def outcome(status: int, diagnostics: str) -> Response:
    """An OperationOutcome response (no personal data in ``diagnostics``)."""
    return fhir_response(fhir.operation_outcome(OUTCOME_CODE.get(status, "exception"),
                                                diagnostics), status)


def problem_as_outcome(response: Response) -> Response:
    """A problem+json answer (routing, OAuth) as the same status in an OperationOutcome."""
    if response.mimetype != PROBLEM_JSON:
        return response
    problem = json.loads(response.get_data(as_text=True))
    converted = outcome(response.status_code, problem.get("detail") or problem.get("title", ""))
    for name, value in response.headers.items():
        if name not in ("Content-Type", "Content-Length"):
            converted.headers[name] = value
    return converted


def negotiate() -> None:
    """Refuse, before anything else, a request for a format or with a body we do not speak."""
    wanted = request.args.get("_format")
    if wanted is not None and wanted.split(";")[0].strip() not in FORMAT_ALIASES:
        raise BadRequest(406, "Only application/fhir+json is supported (_format=json).")
    if wanted is None and request.headers.get("Accept") and \
            request.accept_mimetypes.best_match(JSON_TYPES) is None:
        raise BadRequest(406, "Only application/fhir+json is supported.")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype not in JSON_TYPES:
        raise BadRequest(415, "A write must be application/fhir+json.")


def body() -> object:
    """The request body as JSON (None if it is not JSON); text that cannot be stored (NUL, a
    lone surrogate) is a 422 naming where it is."""
    document = request.get_json(force=True, silent=True)
    unstorable = unstorable_text(document)
    if unstorable:
        raise BadRequest(422, "{}: {}".format(*unstorable))
    return document


def expected_version() -> int | None:
    """The version ``If-Match`` names (None without one, or with ``*``)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = ETAG.match(header.strip())
    if match is None:
        raise BadRequest(400, 'If-Match must be an ETag such as W/"3".')
    return int(match.group(1))


def version_headers(resource: dict) -> dict[str, str]:
    """The ``ETag`` of a versioned resource."""
    meta = resource.get("meta") or {}
    headers = {}
    if meta.get("versionId"):
        headers["ETag"] = f'W/"{meta["versionId"]}"'
    return headers


def representation(resource: dict, status: int = 200) -> Response:
    """The resource, or no body if the client asked ``Prefer: return=minimal``."""
    minimal = "return=minimal" in request.headers.get("Prefer", "").replace(" ", "")
    return fhir_response(None if minimal else resource, status, version_headers(resource))
