"""A throwaway gateway for benchmarking: database, keys, app and a two-member network."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask
from joserfc import jwt
from joserfc.jwk import ECKey

from gateway import create_app
from gateway.db import transaction
from gateway.migrate import upgrade
from gateway.models import AuthMethod, Exchange, InstitutionKind, PartnershipStatus, utcnow
from gateway.services.actor import Actor
from gateway.services.network import clients, institutions, partnerships
from keys import Keyring

ISSUER = "http://bench.gateway"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Member:
    """A registered institution with its private_key_jwt client."""

    institution_id: uuid.UUID
    client_id: str
    key: ECKey

    def token_form(self, issuer: str = ISSUER) -> dict:
        """A client-credentials request with a freshly signed client assertion for ``issuer``."""
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": issuer + "/oauth/token",
                  "iat": now, "exp": now + 60, "jti": secrets.token_urlsafe(16)}
        assertion = jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key,
                               algorithms=["ES256"])
        return {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion}


BENCH = Actor.system("bench")


def gateway(database_url: str, directory: Path) -> Flask:
    """Migrate ``database_url``, create keys in ``directory`` and build the app."""
    upgrade(database_url)
    Keyring.initialise(directory / "keys")
    # an in-process measurement, not a deployment: no start-up checks, no rate limits (which
    # would cap the token case at its per-client budget)
    return create_app({"DATABASE_URL": database_url, "KEY_DIR": str(directory / "keys"),
                       "INSTANCE_PATH": str(directory), "ISSUER": ISSUER, "TESTING": True,
                       "RATELIMIT_ENABLED": False})


def _member(session, kind: InstitutionKind, scopes: list[str]) -> Member:
    key = ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(4), "alg": "ES256"},
                             private=True)
    institution = institutions.register(session, BENCH, name=f"bench {kind.value}", kind=kind,
                                        region="bench", country="CN")
    registration = clients.register(session, BENCH, name="bench client",
                                    institution_id=institution.id,
                                    auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=scopes,
                                    jwks={"keys": [key.as_dict(private=False)]})
    return Member(institution.id, registration.client.client_id, key)


def _partners(session, first: Member, second: Member, exchange: Exchange) -> None:
    now = utcnow()
    partnership = partnerships.propose(
        session, BENCH, institution_ids=(first.institution_id, second.institution_id),
        exchanges=[exchange], valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30))
    partnerships.change_status(session, BENCH, partnership.id, PartnershipStatus.ACTIVE)


def network(app: Flask) -> tuple[Member, Member]:
    """A university and a hospital in an active referral partnership."""
    university, hospital, _school = circulation(app)
    return university, hospital


def circulation(app: Flask) -> tuple[Member, Member, Member]:
    """A university, a hospital it refers to and a middle school it supervises."""
    with transaction(app) as session:
        university = _member(session, InstitutionKind.UNIVERSITY,
                             ["referrals:read", "referrals:write", "consents:write",
                              "bookings:read", "bookings:write"])
        hospital = _member(session, InstitutionKind.HOSPITAL,
                           ["referrals:read", "referrals:write"])
        school = _member(session, InstitutionKind.MIDDLE_SCHOOL,
                         ["bookings:read", "bookings:write", "consents:read", "consents:write"])
        _partners(session, university, hospital, Exchange.REFERRAL)
        _partners(session, university, school, Exchange.SUPERVISION)
    return university, hospital, school
