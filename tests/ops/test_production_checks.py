"""Outside debug and testing the gateway refuses unsafe settings, naming the one to change."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gateway import create_app
from gateway.production import UnsafeConfiguration

UNSAFE = [
    ({"ISSUER": "http://gateway.example.org"}, "GATEWAY_ISSUER"),
    ({"ISSUER": "http://10.0.0.5:8000"}, "GATEWAY_ISSUER"),
    ({"ISSUER": "https://gateway.example.org"}, "GATEWAY_SESSION_COOKIE_SECURE"),
    ({"ISSUER": "http://127.0.0.1:8000", "DEMO": True}, "GATEWAY_DEMO"),
]
SAFE = [
    {"ISSUER": "https://gateway.example.org", "SESSION_COOKIE_SECURE": True},
    {"ISSUER": "http://127.0.0.1:8000"},
    {"ISSUER": "http://localhost:8000"},
    {"ISSUER": "http://[::1]:8000"},
]


def _settings(app, **overrides: object) -> dict:
    return {**{k: app.config[k] for k in ("DATABASE_URL", "KEY_DIR", "INSTANCE_PATH")},
            **overrides}


@pytest.mark.parametrize(("overrides", "setting"), UNSAFE)
def test_unsafe_production_settings_are_refused(app, overrides, setting):
    with pytest.raises(UnsafeConfiguration) as refused:
        create_app(_settings(app, **overrides))
    message = str(refused.value)
    assert message.startswith(setting + " ")
    assert "\n" not in message


@pytest.mark.parametrize("overrides", SAFE)
def test_safe_settings_start(app, overrides):
    assert create_app(_settings(app, **overrides)).config["ISSUER"] == overrides["ISSUER"]


@pytest.mark.parametrize("flag", ["DEBUG", "TESTING"])
def test_debug_or_testing_may_use_development_settings(app, flag):
    created = create_app(_settings(app, ISSUER="http://gateway.test", DEMO=True, **{flag: True}))
    assert created.config["DEMO"] is True


def test_the_command_line_refuses_to_start_with_one_line(app):
    env = {**os.environ, "GATEWAY_DATABASE_URL": app.config["DATABASE_URL"],
           "GATEWAY_KEY_DIR": app.config["KEY_DIR"], "GATEWAY_ISSUER": "https://gw.example.org",
           "GATEWAY_INSTANCE_PATH": app.config["INSTANCE_PATH"]}
    env.pop("GATEWAY_SESSION_COOKIE_SECURE", None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "gateway", "audit", "verify"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "GATEWAY_SESSION_COOKIE_SECURE must be true" in done.stderr.strip().splitlines()[-1]
