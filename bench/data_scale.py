"""``python -m bench.data_scale 10000 100000 1000000`` (``make bench-scale``): the inbox with
10k, 100k and 1M referrals in the database, PostgreSQL only.

In scratch databases on the shared server (``BENCH_PG_URL``; created, then dropped) it
migrates the schema, registers a university that sends and a hospital that receives, and makes
``BENCH_SCALE_SUBJECTS`` template referrals through the real services (consent granted, then
``intake.create``): their personal fields are encrypted by the app's field keyring and their
consents decide every read as in production. The rest of each N is bulk-copied (PostgreSQL
``COPY``) from those templates: a clone keeps its template's subject, consent, priority and
ciphertext (envelope encryption binds only the column's context, not the row, so a ciphertext
decrypts in any row) and gets its own id, age, status and deadlines. Each N has its own
database, a copy of the one before filled up. The plans of the inbox queries are EXPLAINed
on each; then every N is served by gunicorn at once and wrk drives the inbox pages of each N
in turn, ``BENCH_SCALE_ROUNDS`` times (``bench/scale_inbox.py``). Writes
``bench/results/scale.json`` and prints a Markdown table.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import make_url

from bench import scale_inbox
from bench.network import Member, circulation, gateway
from gateway.db import engine_of, transaction
from gateway.keystore import current_keyring
from gateway.models import DataCategory, Grantor, Priority, Purpose, ReferralReason
from gateway.services.actor import Actor
from gateway.services.privacy import consent, subjects
from gateway.services.privacy.policy import Policy
from gateway.services.referrals import intake

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SUBJECTS = int(os.environ.get("BENCH_SCALE_SUBJECTS", "500"))
ROUNDS = int(os.environ.get("BENCH_SCALE_ROUNDS", "3"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).with_name("results")))
LEVELS = ("low", "moderate", "high", "imminent")
# one clone in 20 per status, in this order (a box long in use: most referrals decided)
STATUS_MIX = (["submitted"] * 2 + ["received"] * 1 + ["accepted"] * 4 + ["in_progress"] * 4
              + ["completed"] * 7 + ["declined"] * 1 + ["withdrawn"] * 1)
STEP = timedelta(seconds=30)  # clone k was created k * STEP before the newest
COLUMNS = ("id", "sender_id", "recipient_id", "subject_key", "recipient_pseudonym", "consent_id",
           "data_categories", "personal_data", "priority", "reason", "summary", "status",
           "campus_id", "submitted_at", "received_at", "decided_at", "completed_at",
           "receipt_due_at", "decision_due_at", "expires_at", "created_by", "created_at",
           "updated_at", "version")
TEMPLATE_COLUMNS = ("sender_id", "recipient_id", "subject_key", "recipient_pseudonym",
                    "consent_id", "data_categories", "personal_data", "priority", "reason",
                    "summary", "campus_id", "created_by")


def _priority(index: int) -> Priority:
    return (Priority.GREEN_CHANNEL if index % 10 == 0 else Priority.URGENT if index % 10 < 3
            else Priority.ROUTINE)


def _categories(index: int) -> list[DataCategory]:
    """What subject ``index`` consented to: one in four withholds the risk assessment."""
    found = [DataCategory.IDENTITY, DataCategory.CLINICAL_NOTES]
    return found if index % 4 == 3 else [*found, DataCategory.RISK_ASSESSMENT]


def make_templates(app, university: Member, hospital: Member, count: int) -> None:
    """``count`` referrals through the services, each about its own consenting student."""
    actor = Actor(university.client_id, university.institution_id,
                  frozenset({"referrals:write", "consents:write"}))
    policy = Policy.from_config(app.config)
    until = datetime.now(UTC) + timedelta(days=300)
    with app.app_context():
        pseudonyms = current_keyring().pseudonyms
    for start in range(0, count, 100):
        with transaction(app) as session:
            for index in range(start, min(start + 100, count)):
                ref, priority = f"scale-student-{index}", _priority(index)
                categories = _categories(index)
                consent.grant(session, actor, grantor=Grantor.STUDENT,
                              subject_key=subjects.subject_key(
                                  pseudonyms, university.institution_id, ref),
                              purpose=(Purpose.GREEN_CHANNEL_REFERRAL
                                       if priority is Priority.GREEN_CHANNEL else Purpose.REFERRAL),
                              data_categories=categories, valid_until=until,
                              recipient_id=hospital.institution_id,
                              subject_birth_date=date(2004, 3, 1), policy=policy)
                personal: dict = {"identity": {"name": f"学生{index}",
                                               "date_of_birth": date(2004, 3, 1)}}
                if DataCategory.RISK_ASSESSMENT in categories:
                    personal["risk_assessment"] = {"level": LEVELS[index % len(LEVELS)]}
                intake.create(session, actor, pseudonyms, intake.NewReferral(
                    recipient_id=hospital.institution_id, subject_ref=ref, priority=priority,
                    reason=ReferralReason.ANXIETY_SYMPTOMS, summary="Bulk benchmark referral.",
                    personal=personal), policy=policy)


def _clone(template: tuple, k: int, newest: datetime) -> tuple:
    """Clone number ``k`` of ``template``: its own id, age, status and deadlines."""
    fields = dict(zip(TEMPLATE_COLUMNS, template, strict=True))
    created = newest - k * STEP
    status = STATUS_MIX[k % len(STATUS_MIX)]
    decided = status not in ("submitted", "received")
    green = fields["priority"] == Priority.GREEN_CHANNEL.value
    received = None if status == "submitted" else created + timedelta(minutes=20)
    decided_at = created + timedelta(hours=2) if decided else None
    completed = created + timedelta(days=30) if status == "completed" else None
    updated = completed or decided_at or received or created
    return (uuid.uuid4(), fields["sender_id"], fields["recipient_id"], fields["subject_key"],
            fields["recipient_pseudonym"], fields["consent_id"],
            json.dumps(fields["data_categories"]), fields["personal_data"], fields["priority"],
            fields["reason"], fields["summary"], status, fields["campus_id"], created, received,
            decided_at, completed,
            created + timedelta(minutes=30 if green else 24 * 60),  # receipt due
            created + timedelta(hours=2) if green else None,  # decision due (green channel)
            created + timedelta(days=14),  # expiry while unanswered
            fields["created_by"], created, updated, 1 + (received is not None) + decided)


def _clones(templates: list[tuple], first: int, last: int, newest: datetime) -> Iterator[tuple]:
    for k in range(first, last):
        yield _clone(templates[k % len(templates)], k, newest)


def _names(columns: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


def fill(url: str, total: int, newest: datetime) -> float:
    """Copy clones until the database holds ``total`` referrals; the seconds it took."""
    started = time.monotonic()
    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as connection:
        templates = connection.execute(sql.SQL(
            "SELECT {} FROM referrals WHERE created_by <> 'bench-clone' ORDER BY created_at "
            "LIMIT %s").format(_names(TEMPLATE_COLUMNS)), (SUBJECTS,)).fetchall()
        held = connection.execute("SELECT count(*) FROM referrals").fetchone()[0]
        templates = [(*row[:-1], "bench-clone") for row in templates]
        with connection.cursor().copy(sql.SQL("COPY referrals ({}) FROM STDIN").format(
                _names(COLUMNS))) as copy:
            for row in _clones(templates, held, total, newest):
                copy.write_row(row)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE referrals")
    return time.monotonic() - started


@contextmanager
def databases(server_url: str) -> Iterator[Callable[[str | None], str]]:
    """``create(template)``: a new database on the server, empty or a copy of ``template``'s
    (``CREATE DATABASE … TEMPLATE``); every database made is dropped after."""
    server = make_url(server_url)
    admin = (f"host={server.host} port={server.port or 5432} user={server.username} "
             f"dbname={server.database} connect_timeout=3")
    prefix, made = f"bench_scale_{uuid.uuid4().hex[:8]}", []

    def create(template: str | None = None) -> str:
        name = f"{prefix}_{len(made)}"
        copy = sql.SQL(" TEMPLATE {}").format(sql.Identifier(
            make_url(template).database)) if template else sql.SQL("")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name),
                                                                     copy))
        made.append(name)
        return server.set(drivername="postgresql+psycopg", database=name).render_as_string(
            False)

    try:
        yield create
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in made:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))


def run(sizes: list[int]) -> dict:
    """A database with each of ``sizes`` (ascending) referrals, each copied from the one
    before and filled up; then every size served and measured in turn."""
    results: dict = {"subjects": SUBJECTS, "seconds_per_run": scale_inbox.SECONDS,
                     "rounds": ROUNDS, "connections": scale_inbox.CONNECTIONS,
                     "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                     "sizes": {str(size): {} for size in sizes}}
    with tempfile.TemporaryDirectory(prefix="gw-scale-") as tmp, databases(PG_URL) as create, \
            ExitStack() as servers:
        directory, urls = Path(tmp), []
        for size in sizes:
            urls.append(create(urls[-1] if urls else None))
            app = gateway(urls[-1], directory)
            if len(urls) == 1:
                university, hospital, _school = circulation(app)
                started = time.monotonic()
                make_templates(app, university, hospital, min(SUBJECTS, size))
                results["templates_seconds"] = round(time.monotonic() - started, 1)
                newest = datetime.now(UTC) - timedelta(hours=1)
            engine_of(app).dispose()  # a template database takes no connections
            seconds = fill(urls[-1], size, newest)
            results["sizes"][str(size)]["generate_seconds"] = round(seconds, 1)
            print(f"{size:>9,} referrals: generated in {seconds:.0f} s", flush=True)
        targets = []
        for size, url in zip(sizes, urls, strict=True):
            app = gateway(url, directory)
            queries = scale_inbox.queries(app, hospital, size)
            results["sizes"][str(size)]["plans"] = scale_inbox.plans(app, hospital, queries)
            engine_of(app).dispose()
            targets.append(scale_inbox.Target(
                size, scale_inbox.serve(servers, url, directory, size), hospital, queries))
        for size, found in scale_inbox.measure(targets, directory, ROUNDS).items():
            results["sizes"][str(size)].update(found)
        results["load_average_at_end"] = os.getloadavg()
    results["p99_ratios"] = scale_inbox.p99_ratios(results["sizes"])
    return results


def main(argv: list[str]) -> None:
    """Run the sizes given on the command line; write ``scale.json``; print the table."""
    sizes = sorted(int(word) for word in argv) or [10_000, 100_000, 1_000_000]
    started = time.monotonic()
    results = run(sizes)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "scale.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(scale_inbox.table(results))
    print(f"\n{path} written ({results['total_seconds']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
