"""The partner directory at the FHIR base: ``HealthcareService`` and ``Endpoint``, read and
searched, for the partners the caller may refer to now (scope ``referrals:read``).

The same service as ``GET /api/v1/directory`` decides who is listed (active partnerships that
allow the referral exchange); anyone else is a 404 on read and absent from a search, ``total``
included. The blueprint nests in the FHIR one: same negotiation, errors as OperationOutcomes.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError

from adapters import fhir, fhir_directory
from adapters import fhir_resources as resources
from gateway.api.auth import authenticated, current_actor
from gateway.api.fhir import bp as fhir_bp
from gateway.api.fhir_http import fhir_response, refused, resource_uuid
from gateway.db import db_session
from gateway.services.network import directory
from schemas.directory import DirectoryListingSchema
from schemas.fhir import EndpointSearchSchema, HealthcareServiceSearchSchema

bp = Blueprint("fhir_directory", __name__)
_LISTING, _LISTINGS = DirectoryListingSchema(), DirectoryListingSchema(many=True)  # built once


def _base() -> str:
    return current_app.config["ISSUER"] + fhir_bp.url_prefix


def _listings(query: dict, **filters) -> list[dict]:
    """The caller's directory, narrowed by ``organization`` and ``filters``, as dicts."""
    if "organization" in query:
        filters["institution_id"] = resource_uuid(query["organization"], "Organization")
    found = directory.for_partner(db_session(), current_actor(), **filters)
    return _LISTINGS.dump(found)


def _one(ident: str) -> dict:
    listing = directory.listing(db_session(), current_actor(),
                                resource_uuid(ident, "directory entry"))
    return _LISTING.dump(listing)


def _search(schema) -> dict:
    args = {**request.args.to_dict(), **({"_include": request.args.getlist("_include")}
                                         if "_include" in request.args else {})}
    try:
        return schema.load(args)
    except ValidationError as exc:
        raise refused(exc, 400, "Search parameters") from None


def _searchset(matches: list[dict], included: list[dict], kind: str) -> Response:
    links = {"self": f"{_base()}/{kind}?{request.query_string.decode()}".rstrip("?")}
    return fhir_response(fhir.searchset(matches, included, len(matches), links))


@bp.get("/HealthcareService")
@authenticated("referrals:read")
def search_healthcare_services() -> Response:
    """The partners the caller may refer to, by name; ``service-type``, ``service-category``
    (institution kind) and ``organization`` narrow it; ``_include`` brings Endpoints or
    Organizations."""
    query = _search(HealthcareServiceSearchSchema())
    listings = _listings(query, kind=query.get("service_category"),
                         service=query.get("service_type"))
    included = []
    for name in query.get("include") or []:
        for listing in listings:
            if name == "HealthcareService:endpoint":
                included.append(fhir_directory.endpoint(listing, _base()))
            else:
                included.append(resources.organization(
                    {"id": str(listing["institution_id"]), "name": listing["name"],
                     "active": True}))
    return _searchset([fhir_directory.healthcare_service(item) for item in listings], included,
                      "HealthcareService")


@bp.get("/HealthcareService/<service_id>")
@authenticated("referrals:read")
def read_healthcare_service(service_id: str) -> Response:
    """What one partner offers (its id is the institution's)."""
    return fhir_response(fhir_directory.healthcare_service(_one(service_id)))


@bp.get("/Endpoint")
@authenticated("referrals:read")
def search_endpoints() -> Response:
    """How the caller reaches its partners: through the gateway's FHIR base."""
    query = _search(EndpointSearchSchema())
    return _searchset([fhir_directory.endpoint(item, _base()) for item in _listings(query)], [],
                      "Endpoint")


@bp.get("/Endpoint/<endpoint_id>")
@authenticated("referrals:read")
def read_endpoint(endpoint_id: str) -> Response:
    """How one partner is reached (its id is the institution's)."""
    return fhir_response(fhir_directory.endpoint(_one(endpoint_id), _base()))


fhir_bp.register_blueprint(bp)  # nested: FHIR's negotiation, and errors as OperationOutcomes
