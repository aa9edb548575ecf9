"""Scratch PostgreSQL clusters for the ops tests (initdb/pg_ctl on free ports; the shared server
is never touched), a streaming replica of one, PgBouncer in transaction mode in front of a
database, and a seeded referral network on a database."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from gateway import create_app
from gateway.db import engine_of, transaction
from gateway.migrate import upgrade
from gateway.models import AuthMethod, Exchange, InstitutionKind, PartnershipStatus
from gateway.services.network import clients, institutions, partnerships
from tests.live_support import _free_port, _stop
from tests.network_support import HOSPITAL_SCOPES, SCHOOL_SCOPES
from tests.support import TESTER, Partner, new_key, public_jwks

PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), None)


def pg_tool(name: str) -> str | None:
    """The path of a PostgreSQL server tool, on PATH or in Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(PG_BIN or "/nonexistent") / name
    return str(candidate) if candidate.exists() else None


def as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: then run its tools as the ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass(frozen=True)
class Cluster:
    """A private PostgreSQL server: its data directory, port, and how to control it."""

    home: Path
    data: Path
    port: int
    pg_ctl: str

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its ``postgres`` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str, *args: str, check: bool = True) -> None:
        """``pg_ctl ACTION``; the server's output goes to its log file, never to a pipe of
        ours (a started server would keep it open)."""
        log = (["-l", str(self.home / f"postgres-{self.port}.log")]
               if action in ("start", "restart") else [])
        subprocess.run([*as_server_user(), self.pg_ctl, "-D", str(self.data), "-w", "-t", "60",
                        *log, *args, action], check=check, timeout=90, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, *settings: str) -> None:
        """Start on loopback at its port; ``settings`` are ``name=value`` server settings."""
        options = " ".join([f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1",
                            "-c max_connections=60 -c fsync=off",
                            *(f"-c {setting}" for setting in settings)])
        self.ctl("start", "-o", options)

    def stop(self) -> None:
        """Stop at once (no error if it is not running)."""
        self.ctl("stop", "-m", "immediate", check=False)


def _tools(*names: str) -> list[str]:
    found = [pg_tool(name) for name in names]
    if None in found:
        pytest.skip(f"PostgreSQL server tools not installed: {', '.join(names)}")
    return found  # type: ignore[return-value]


def _private_home(prefix: str) -> Path:
    home = Path(tempfile.mkdtemp(prefix=prefix))
    _give_to_server_user(home)
    return home


def _give_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        server_user = pwd.getpwnam("postgres")
        os.chown(path, server_user.pw_uid, server_user.pw_gid)


@contextmanager
def scratch_cluster(*settings: str) -> Iterator[Cluster]:
    """A new cluster (trust auth, replication allowed from loopback) started on a free port,
    stopped and removed afterwards; ``settings`` as for :meth:`Cluster.start`."""
    initdb, pg_ctl = _tools("initdb", "pg_ctl")
    home = _private_home("gw-pg-")
    try:
        subprocess.run([*as_server_user(), initdb, "-D", str(home / "data"), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True,
                       timeout=120)
        with (home / "data" / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        cluster = Cluster(home, home / "data", _free_port(), pg_ctl)
        cluster.start(*settings)
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def streaming_replica(primary: Cluster) -> Iterator[Cluster]:
    """A hot standby of ``primary`` (``pg_basebackup -R``), streaming from it on a free port;
    stopped and removed afterwards."""
    pg_basebackup, pg_ctl = _tools("pg_basebackup", "pg_ctl")
    home = _private_home("gw-pg-replica-")
    try:
        subprocess.run([*as_server_user(), pg_basebackup, "-h", "127.0.0.1", "-p",
                        str(primary.port), "-U", "postgres", "-D", str(home / "data"), "-R",
                        "-X", "stream", "-c", "fast"], check=True, capture_output=True,
                       timeout=120)
        replica = Cluster(home, home / "data", _free_port(), pg_ctl)
        replica.start("hot_standby=on")
        try:
            yield replica
        finally:
            replica.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def pgbouncer(database_url: str, *, timezone: str | None = None) -> Iterator[str]:
    """PgBouncer in transaction mode on a free loopback port in front of ``database_url``'s
    database (trust auth; server connections reused most recently released first; opened in
    ``timezone`` if given), run in the foreground until the block ends; yields the URL
    through it."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.skip("pgbouncer not installed (bash .ci/ensure-pgbouncer)")
    server, port = make_url(database_url), _free_port()
    home = _private_home("gw-pgbouncer-")
    users, config = home / "users.txt", home / "pgbouncer.ini"
    users.write_text(f'"{server.username}" ""\n')
    config.write_text("\n".join([
        "[databases]",
        f"{server.database} = host={server.host} port={server.port or 5432} "
        f"dbname={server.database}" + (f" timezone={timezone}" if timezone else ""),
        "[pgbouncer]",
        "listen_addr = 127.0.0.1", f"listen_port = {port}", "unix_socket_dir =",
        "auth_type = trust", f"auth_file = {users}", f"admin_users = {server.username}",
        "pool_mode = transaction", "server_round_robin = 0", "default_pool_size = 20",
        "max_client_conn = 200", f"logfile = {home / 'pgbouncer.log'}", ""]))
    for path in (users, config):
        _give_to_server_user(path)
    process = subprocess.Popen([*as_server_user(), binary, str(config)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        through = server.set(port=port)
        _wait_for_server(through.render_as_string(False).replace("+psycopg", ""), process)
        yield through.render_as_string(False)
    finally:
        _stop(process)
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_server(url: str, process: subprocess.Popen, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        if process.poll() is not None:
            pytest.fail(f"pgbouncer exited with {process.returncode}")
        try:
            with psycopg.connect(url, connect_timeout=2, prepare_threshold=None) as connection:
                connection.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def pgbouncer_stats(bouncer_url: str) -> dict[str, dict[str, str]]:
    """PgBouncer's ``SHOW STATS`` per database, read on its admin console with psql (the
    console speaks the simple query protocol only)."""
    url = make_url(bouncer_url)
    shown = subprocess.run(["psql", "-X", "-A", "-F", "\t", "-h", str(url.host), "-p",
                            str(url.port), "-U", str(url.username), "-d", "pgbouncer", "-c",
                            "SHOW STATS"], capture_output=True, text=True, check=True,
                           timeout=30)
    header, *rows = shown.stdout.splitlines()[:-1]  # the last line counts the rows
    names = header.split("\t")
    return {row.split("\t")[0]: dict(zip(names, row.split("\t"), strict=True)) for row in rows}


def seed_network(database_url: str, key_dir: Path, issuer: str,
                 extra_scopes: tuple[str, ...] = ()) -> tuple[Partner, Partner]:
    """Migrate ``database_url`` and write, through the services, a university and a hospital
    (private_key_jwt clients with the network's scopes plus ``extra_scopes``) in an active
    referral partnership."""
    upgrade(database_url)
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "KEY_DIR": str(key_dir),
                      "INSTANCE_PATH": str(key_dir.parent), "ISSUER": issuer})
    made = []
    now = datetime.now(UTC)
    with transaction(app) as session:
        for kind, scopes in (("university", SCHOOL_SCOPES), ("hospital", HOSPITAL_SCOPES)):
            key = new_key()
            institution = institutions.register(session, TESTER, name=kind,
                                                kind=InstitutionKind(kind), region="r1",
                                                country="CN")
            registration = clients.register(
                session, TESTER, name=kind, institution_id=institution.id,
                auth_method=AuthMethod.PRIVATE_KEY_JWT, scopes=[*scopes, *extra_scopes],
                jwks=public_jwks(key))
            made.append(Partner(registration.client.client_id, institution.id, key, issuer))
        partnership = partnerships.propose(
            session, TESTER, institution_ids=(made[0].institution_id, made[1].institution_id),
            exchanges=[Exchange.REFERRAL], valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=30))
        partnerships.change_status(session, TESTER, partnership.id, PartnershipStatus.ACTIVE)
    engine_of(app).dispose()
    return made[0], made[1]
