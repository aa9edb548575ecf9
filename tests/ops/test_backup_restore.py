"""``flask backup`` / ``flask restore``: a fresh database on another key directory comes back
with an intact audit chain and readable referrals (SQLite or PostgreSQL, as the suite runs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from gateway import create_app
from gateway.migrate import scratch_postgres_database
from keys import Keyring
from tests.conftest import PG_SERVER_URL
from tests.support import bearer

PASSPHRASE = "correct horse battery staple, restored"


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the suite's kind (no schema: the restore brings it)."""
    if database_url.startswith("postgresql"):
        with scratch_postgres_database(PG_SERVER_URL, "gw_restore") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"


def _app_on(database_url: str, key_dir: Path, app):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "KEY_DIR": str(key_dir),
                       "INSTANCE_PATH": str(key_dir.parent), "ISSUER": app.config["ISSUER"],
                       "RATELIMIT_ENABLED": False})


def _invoke(app, *args: str, passphrase: str = PASSPHRASE):
    return app.test_cli_runner().invoke(args=list(args),
                                        env={"GATEWAY_BACKUP_PASSPHRASE": passphrase})


def _tables(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_restore_on_a_fresh_database_and_key_directory(app, pair, referral, tmp_path,
                                                        empty_database):
    backup_file = tmp_path / "gateway.backup"
    made = _invoke(app, "backup", str(backup_file))
    assert made.exit_code == 0, made.output
    assert os.stat(backup_file).st_mode & 0o077 == 0
    sealed = backup_file.read_bytes()
    for clear in (b"alembic_version", b"SQLite format", b"PGDMP", referral["id"].encode()):
        assert clear not in sealed

    other_keys = tmp_path / "elsewhere" / "keys"
    Keyring.initialise(other_keys)  # a fresh instance: keys of its own, an empty database
    target = _app_on(empty_database, other_keys, app)
    wrong = _invoke(target, "restore", str(backup_file), passphrase="not the passphrase")
    assert wrong.exit_code != 0 and "wrong passphrase" in wrong.output
    assert _tables(empty_database) == []
    restored = _invoke(target, "restore", str(backup_file))
    assert restored.exit_code == 0, restored.output

    again = _app_on(empty_database, other_keys, app)  # a restart, with the restored keys
    runner = again.test_cli_runner()
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0  # the restored entries, sealed
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("audit log intact: ")
    assert "intact: 0 entries" not in verified.output  # the run's entries were sealed and checked
    client = again.test_client()
    token = client.post("/oauth/token", data=pair.hospital.token_form()).get_json()
    read = client.get(f"/api/v1/referrals/{referral['id']}",
                      headers=bearer(token["access_token"]))
    assert read.status_code == 200, read.get_json()
    assert read.get_json()["summary"] == referral["summary"]
    assert read.get_json()["subject_pseudonym"] == _hospital_view(app, pair, referral)

    # a restore never lands on a database that already holds data
    refused = _invoke(again, "restore", str(backup_file))
    assert refused.exit_code != 0 and "empty database" in refused.output


def _hospital_view(app, pair, referral) -> str:
    read = app.test_client().get(f"/api/v1/referrals/{referral['id']}",
                                 headers=bearer(pair.hosp_token))
    return read.get_json()["subject_pseudonym"]
