"""SMART v2 system scopes (Backend Services) mapped onto the gateway's scopes.

A hospital's FHIR client may ask for ``system/Task.rs`` and the like; the token endpoint
grants what it asked for together with the gateway scopes they stand for, and checks only
the gateway scopes against the client's allowance. Unknown ``system/…`` scopes are refused.
"""

from __future__ import annotations

READ, WRITE = "referrals:read", "referrals:write"
SMART_SCOPES = {
    "system/Task.r": READ, "system/Task.s": READ, "system/Task.rs": READ,
    "system/Task.u": WRITE, "system/Task.c": WRITE, "system/Task.cu": WRITE,
    "system/ServiceRequest.r": READ, "system/ServiceRequest.rs": READ,
    "system/Patient.r": READ, "system/Patient.rs": READ,
    "system/Organization.r": READ, "system/Organization.rs": READ,
    "system/HealthcareService.r": READ, "system/HealthcareService.rs": READ,
    "system/Endpoint.r": READ, "system/Endpoint.rs": READ,
    "system/Communication.c": WRITE,
}


def is_smart(scope: str) -> bool:
    """Whether ``scope`` is written as a SMART scope (``system/…``, ``user/…``, ``patient/…``)."""
    return "/" in scope


def gateway_scopes(requested: list[str]) -> set[str] | None:
    """The gateway scopes that ``requested`` stands for; None if a SMART scope is unknown."""
    mapped = set()
    for scope in requested:
        if not is_smart(scope):
            mapped.add(scope)
        elif scope in SMART_SCOPES:
            mapped.add(SMART_SCOPES[scope])
        else:
            return None
    return mapped


def granted(requested: list[str]) -> str:
    """The scope string of a token: what was asked for, then the gateway scopes it maps to."""
    extra = sorted((gateway_scopes(requested) or set()) - set(requested))
    return " ".join([*requested, *extra])
