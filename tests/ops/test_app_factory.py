"""What ``create_app`` registers and refuses: the demo's commands, missing key material."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateway import create_app
from keys import Keyring
from keys.keyring import KeyMaterialMissing


def _config(app, **extra) -> dict:
    """A production configuration (https issuer, secure cookie) on the test database and keys."""
    keep = ("DATABASE_URL", "KEY_DIR", "INSTANCE_PATH")
    return {**{key: app.config[key] for key in keep}, "ISSUER": "https://gateway.test",
            "SESSION_COOKIE_SECURE": True, **extra}


def test_a_production_app_has_no_demo_command(app):
    production = create_app(_config(app))
    assert "demo" not in production.cli.list_commands(None)
    result = production.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "No such command 'demo'" in result.output


def test_a_demo_app_has_the_demo_command(app):
    demo = create_app(_config(app, DEMO=True, DEBUG=True))  # the demo is refused outside debug
    assert "demo" in demo.cli.list_commands(None)
    result = demo.test_cli_runner().invoke(args=["demo", "--help"])
    assert result.exit_code == 0 and "load" in result.output


@pytest.mark.live
def test_missing_keys_name_the_command_that_creates_them(app, tmp_path):
    key_dir = tmp_path / "keys"
    with pytest.raises(KeyMaterialMissing) as refused:
        create_app(_config(app, KEY_DIR=str(key_dir)))
    command = f"python -m keys init {key_dir}"
    assert command in str(refused.value)
    done = subprocess.run([sys.executable, *command.split()[1:]], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert Keyring.load(key_dir).signing.keys
    assert create_app(_config(app, KEY_DIR=str(key_dir))).extensions["gateway.keyring"]


def test_a_replica_url_must_be_a_postgresql_one(app):
    with pytest.raises(ValueError) as refused:
        create_app(_config(app, DATABASE_REPLICA_URL="sqlite:///replica.sqlite3"))
    assert str(refused.value).startswith("DATABASE_REPLICA_URL must be a PostgreSQL URL")
    assert "gateway.db.replica" not in create_app(_config(app)).extensions  # unset: primary only
