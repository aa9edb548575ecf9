"""The app's keyring: loaded once at start-up from the configured key directory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from gateway.models.encrypted import use_field_keyring
from gateway.services.audit.log import LogIdentity
from keys import Keyring

EXTENSION_KEY = "gateway.keyring"


def init_keys(app: Flask) -> None:
    """Load key material (fails loudly when missing) and activate field encryption."""
    keyring = Keyring.load(Path(app.config["KEY_DIR"]))
    app.extensions[EXTENSION_KEY] = keyring
    use_field_keyring(keyring.field)


def current_keyring() -> Keyring:
    """The keyring of the running app."""
    return current_app.extensions[EXTENSION_KEY]


def current_log_of(app: Flask) -> LogIdentity:
    """The audit log's origin and keys for ``app``."""
    return LogIdentity.of(app.extensions[EXTENSION_KEY].log, app.config["AUDIT_ORIGIN"])


def current_log() -> LogIdentity:
    """The audit log's origin and keys for the running app."""
    return current_log_of(current_app)
