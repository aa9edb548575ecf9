"""Fixtures: a real database (SQLite or PostgreSQL), migrated with Alembic; real keys; the app."""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from joserfc import jwt
from sqlalchemy import text
from werkzeug.test import TestResponse

from adapters.simulator import SimulatorServer
from gateway import create_app
from gateway.db import engine_of, transaction
from gateway.migrate import scratch_postgres_database, upgrade
from gateway.models import AuthMethod, Base, Exchange, InstitutionKind, PartnershipStatus
from gateway.services.network import clients, institutions, partnerships
from keys import Keyring
from tests.factories.privacy import consent_body
from tests.factories.referrals import SUBJECT_REF, referral_body
from tests.live_support import (
    answering,
    live,  # noqa: F401 (a fixture: gunicorn on the session database)
)
from tests.mail_support import SmtpServer
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES, Linked, grant_consents
from tests.support import TESTER, Admin, Pair, Partner, bearer, new_key, public_jwks

TEST_ISSUER = "http://gateway.test"
PG_SERVER_URL = os.environ.get("GATEWAY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A new, migrated database for this test session."""
    if os.environ.get("GATEWAY_TEST_DATABASE", "sqlite") == "postgresql":
        with scratch_postgres_database(PG_SERVER_URL, "gw_test") as url:
            upgrade(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.sqlite3'}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    """Real key material, generated for this session."""
    directory = tmp_path_factory.mktemp("instance") / "keys"
    Keyring.initialise(directory)
    return directory


@pytest.fixture(scope="session")
def app(database_url: str, key_dir: Path):
    """The gateway app on the session database."""
    return create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "KEY_DIR": str(key_dir),
        "INSTANCE_PATH": str(key_dir.parent),
        "ISSUER": TEST_ISSUER,
        # short delivery settings keep retry tests fast
        "DELIVERY_TIMEOUT": 2.0, "DELIVERY_LEASE_SECONDS": 5, "DELIVERY_MAX_ATTEMPTS": 3,
        "DELIVERY_BACKOFF_BASE": 0.01, "DELIVERY_BACKOFF_CAP": 0.05,
        # partner JWK Sets served by tests over http on 127.0.0.1
        "OUTBOUND_ALLOW_INSECURE_LOOPBACK": True, "JWKS_FETCH_TIMEOUT": 2.0,
        # the suite's many refusals from one address; tests/ops/test_rate_limits.py turns them on
        "RATELIMIT_ENABLED": False,
        # revocations here are made in this process, which drops its deny-state copy at once;
        # without a clock-driven re-read, statement counts do not depend on the machine's speed
        "TOKEN_REVOCATION_POLL_SECONDS": 3600,
        "DEMO": True,
    })


@pytest.fixture(autouse=True)
def _empty_tables(request) -> Iterator[None]:
    """Every test starts from empty tables (the schema stays migrated)."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine_of(app).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    """Flask's test client (the real app and database, in process)."""
    return app.test_client()


@pytest.fixture
def make_partner(app) -> Callable[..., Partner]:
    """Register an institution and a private_key_jwt client for it; return the partner."""

    def make(kind: str = "university", scopes: list[str] | None = None, region: str = "r1",
             country: str = "CN", algs: list[str] | None = None) -> Partner:
        key = new_key()
        scopes = scopes or ["referrals:read", "referrals:write", "consents:read",
                            "consents:write"]
        with transaction(app) as session:
            institution = institutions.register(session, TESTER, name=f"{kind} {key.kid}",
                                                kind=InstitutionKind(kind), region=region,
                                                country=country)
            registration = clients.register(
                session, TESTER, name="test client", institution_id=institution.id,
                auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=scopes,
                jwks=public_jwks(key), allowed_algs=algs or ["ES256"])
            return Partner(registration.client.client_id, institution.id, key,
                           app.config["ISSUER"], scopes)

    return make


@pytest.fixture
def token_for(client) -> Callable[..., str]:
    """Obtain an access token for a partner over the token endpoint."""

    def get(partner: Partner, scope: str | None = None) -> str:
        response = client.post("/oauth/token", data=partner.token_form(scope))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return get


@pytest.fixture
def row_count(app) -> Callable[[str], int]:
    """Count rows of a table, straight from the database."""

    def count(table: str) -> int:
        with engine_of(app).connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()

    return count


@pytest.fixture
def link(app) -> Callable[..., uuid.UUID]:
    """Make an active partnership between two partners for the given exchanges."""

    def make(first: Partner, second: Partner, *exchanges: str) -> uuid.UUID:
        now = datetime.now(UTC)
        with transaction(app) as session:
            partnership = partnerships.propose(
                session, TESTER, institution_ids=(first.institution_id, second.institution_id),
                exchanges=[Exchange(e) for e in exchanges or ("referral",)],
                valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=365))
            partnerships.change_status(session, TESTER, partnership.id, PartnershipStatus.ACTIVE)
            return partnership.id

    return make


@pytest.fixture
def linked(make_partner, link, token_for) -> Linked:
    """A university and a hospital in a referral partnership, with their token headers."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    return Linked(school, hospital, bearer(token_for(school)), bearer(token_for(hospital)))


@pytest.fixture
def network_admin(app) -> Admin:
    """A network-coordination client (client_secret_basic, scope network:admin)."""
    with transaction(app) as session:
        registration = clients.register(session, TESTER, name="coordination", institution_id=None,
                                        auth_method=AuthMethod.CLIENT_SECRET_BASIC,
                                        scopes=["network:admin"])
        return Admin(registration.client.client_id, registration.client_secret)


@pytest.fixture
def admin_token(client, network_admin: Admin) -> str:
    """An access token of the network administration client."""
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=network_admin.basic())
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


@pytest.fixture
def pair(make_partner, link, token_for) -> Pair:
    """A university and a hospital in an active referral partnership, each with a token."""
    university = make_partner("university")
    hospital = make_partner("hospital", scopes=["referrals:read", "referrals:write"])
    link(university, hospital, "referral")
    return Pair(university, hospital, token_for(university), token_for(hospital))


@pytest.fixture
def grant_consent(client) -> Callable[..., TestResponse]:
    """Record a consent over the API: ``grant_consent(token, recipient_id, subject=...)``."""

    def grant(token: str, recipient_id: uuid.UUID, subject: str = SUBJECT_REF,
              purpose: str = "green_channel_referral", **extra: object) -> TestResponse:
        return client.post("/api/v1/consents", json=consent_body(recipient_id, subject, purpose,
                                                                  **extra),
                           headers=bearer(token))

    return grant


@pytest.fixture
def table_counts(app) -> Callable[[], dict[str, int]]:
    """Row counts of every table: compare before and after to prove nothing was written."""

    def counts() -> dict[str, int]:
        with engine_of(app).connect() as connection:
            return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                    for table in Base.metadata.tables}

    return counts


AUDIT_LOG_TABLES = ("audit_entries", "audit_pending")


@pytest.fixture
def nothing_written(app, table_counts) -> Callable[[], Callable[[], None]]:
    """``check = nothing_written()`` snapshots every table; ``check()`` then asserts that
    nothing was written since but security events (a refusal's own, rate-limited record)."""

    def snapshot() -> Callable[[], None]:
        before = table_counts()
        with engine_of(app).connect() as connection:
            last = connection.execute(text("SELECT max(seq) FROM audit_entries")).scalar()

        def check() -> None:
            after = table_counts()
            assert ({t: n for t, n in after.items() if t not in AUDIT_LOG_TABLES}
                    == {t: n for t, n in before.items() if t not in AUDIT_LOG_TABLES})
            with engine_of(app).connect() as connection:
                new = connection.execute(text(
                    "SELECT action, outcome FROM audit_entries WHERE seq > :last"),
                    {"last": last or 0}).all()
            assert all(a.startswith("security.") and o == "failure" for a, o in new), new

        return check

    return snapshot


@pytest.fixture
def forge_token(app) -> Callable[..., str]:
    """Sign access-token claims (default: valid ones) with the gateway's own current key.

    ``key`` signs instead, ``header`` overrides header members, claims set to None are dropped.
    """

    def sign(partner: Partner, *, key=None, header: dict | None = None, **claims: object) -> str:
        signing_key = key or app.extensions["gateway.keyring"].signing.current
        now = int(time.time())
        body = {"iss": app.config["ISSUER"], "aud": app.config["API_AUDIENCE"],
                "sub": partner.client_id, "client_id": partner.client_id,
                "institution_id": str(partner.institution_id), "scope": " ".join(partner.scopes),
                "iat": now, "nbf": now, "exp": now + 120, "jti": secrets.token_urlsafe(16),
                **claims}
        head = {"alg": "ES256", "typ": "at+jwt", "kid": signing_key.kid, **(header or {})}
        return jwt.encode({k: v for k, v in head.items() if v is not None},
                          {k: v for k, v in body.items() if v is not None},
                          signing_key, algorithms=[head["alg"]])

    return sign


@pytest.fixture
def send_referral(client) -> Callable[..., TestResponse]:
    """POST a referral: ``send_referral(token, recipient_id, headers=..., **fields)``."""

    def send(token: str, recipient_id: uuid.UUID, headers: dict | None = None,
             **fields: object) -> TestResponse:
        return client.post("/api/v1/referrals", json=referral_body(recipient_id, **fields),
                           headers={**bearer(token), **(headers or {})})

    return send


@pytest.fixture
def referral(pair: Pair, grant_consent, send_referral) -> dict:
    """A referral the pair's university sent to its hospital, under a fresh consent."""
    assert grant_consent(pair.uni_token, pair.hospital.institution_id).status_code == 201
    response = send_referral(pair.uni_token, pair.hospital.institution_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def scene(client, make_partner, token_for, link):
    """A university and a hospital linked for referrals, with tokens (tests/privacy_support.py)."""
    from tests.privacy_support import make_scene

    return make_scene(client, make_partner, token_for, link)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The gateway served over real HTTP (a threaded werkzeug server); yields its base URL."""
    from werkzeug.serving import make_server

    with answering(make_server("127.0.0.1", 0, app, threaded=True)) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def simulator() -> Iterator[SimulatorServer]:
    """The partner simulator (a hospital and a school endpoint) on real HTTP."""
    server = SimulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def worklist(client, make_partner, token_for, link):
    """A school that sent three referrals (two green channel, one routine) to a hospital:
    school, hospital, the school's and the hospital's bearer headers, the referral ids."""
    school = make_partner("university", scopes=SCHOOL_SCOPES)
    hospital = make_partner("hospital", scopes=HOSPITAL_SCOPES)
    link(school, hospital, "referral")
    school_auth = bearer(token_for(school))
    grant_consents(client, school_auth, hospital.institution_id)
    assert client.post("/api/v1/consents", headers=school_auth, json=consent_body(
        hospital.institution_id, purpose="referral")).status_code == 201
    ids = []
    for priority in ("green_channel", "routine", "green_channel"):
        response = client.post("/api/v1/referrals", headers=school_auth,
                               json=referral_body(hospital.institution_id, priority=priority))
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return school, hospital, school_auth, bearer(token_for(hospital)), ids


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    server = SmtpServer().start()
    yield server
    server.stop()
