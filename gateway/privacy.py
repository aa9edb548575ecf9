"""The running app's privacy policy (from config), handed by the HTTP layer to services."""

from __future__ import annotations

from flask import current_app

from gateway.services.privacy.policy import Policy

EXTENSION_KEY = "gateway.privacy_policy"


def current_policy() -> Policy:
    """The policy of the running app, built from its config on first use."""
    extensions = current_app.extensions
    if EXTENSION_KEY not in extensions:
        extensions[EXTENSION_KEY] = Policy.from_config(current_app.config)
    return extensions[EXTENSION_KEY]
