"""The app's keyring: loaded once at start-up from the configured key directory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from gateway.db import engine_of
from gateway.models.encrypted import bind_field_keyring
from gateway.services.audit.log import LogIdentity
from keys import Keyring

EXTENSION_KEY = "gateway.keyring"


def init_keys(app: Flask) -> None:
    """Load key material (fails loudly when missing); the app's engine encrypts with it."""
    keyring = Keyring.load(Path(app.config["KEY_DIR"]))
    app.extensions[EXTENSION_KEY] = keyring
    bind_field_keyring(engine_of(app), keyring.field)


def current_keyring() -> Keyring:
    """The keyring of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def current_log_of(app: Flask) -> LogIdentity:
    """The audit log's origin and keys for ``app``."""
    return LogIdentity.of(app.extensions[EXTENSION_KEY].log, app.config["AUDIT_ORIGIN"])


def current_log() -> LogIdentity:
    """The audit log's origin and keys for the running app."""
    return current_log_of(current_app)
