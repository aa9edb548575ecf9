"""Institutions of the network: registered rows and API bodies."""

from __future__ import annotations

from flask import Flask

from gateway.db import transaction
from gateway.models import Institution, InstitutionKind
from gateway.services.network import institutions
from tests.support import TESTER


def institution(app: Flask, *, name: str = "Other", kind: str = "university", region: str = "r1",
                country: str = "CN") -> Institution:
    """Register an institution through the service (audited, as in production)."""
    with transaction(app) as session:
        return institutions.register(session, TESTER, name=name, kind=InstitutionKind(kind),
                                     region=region, country=country)


def institution_body(kind: str = "hospital", **extra: object) -> dict:
    """A valid request to register an institution of ``kind`` over the API."""
    return {"name": f"A {kind}", "kind": kind, "region": "r1", "country": "cn", **extra}
