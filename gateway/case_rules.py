"""The running app's case rules (from config), handed by the HTTP layer to case services."""

from __future__ import annotations

from flask import current_app

from gateway.services.cases.rules import CaseRules

EXTENSION_KEY = "gateway.case_rules"


def current_case_rules() -> CaseRules:
    """The case rules of the running app, built from its config on first use."""
    extensions = current_app.extensions
    if EXTENSION_KEY not in extensions:
        extensions[EXTENSION_KEY] = CaseRules.from_config(current_app.config)
    return extensions[EXTENSION_KEY]
