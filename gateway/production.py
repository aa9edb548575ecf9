"""Start-up checks: outside debug and testing, refuse settings that are unsafe in production.

Each refusal is one line naming the setting to change, so an operator sees at once what to do.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask


class UnsafeConfiguration(RuntimeError):
    """A setting that must not reach production; the message says which one to change."""


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsafe_setting(config: dict) -> str | None:
    """The first unsafe production setting in ``config``, as one line, or None."""
    issuer = urlsplit(config["ISSUER"])
    if issuer.scheme != "https" and not _loopback(issuer.hostname):
        return ("GATEWAY_ISSUER must be an https:// URL (http:// is for a loopback host only), "
                f"not {config['ISSUER']}")
    if issuer.scheme == "https" and not config["SESSION_COOKIE_SECURE"]:
        return ("GATEWAY_SESSION_COOKIE_SECURE must be true when the gateway is served over "
                "https (the admin session cookie would also travel over plain http)")
    if config["DEMO"]:
        return ("GATEWAY_DEMO must be false outside development: the demo network's keys and "
                "sign-in are written to disk in the clear")
    return None


def refuse_unsafe_settings(app: Flask) -> None:
    """Raise :class:`UnsafeConfiguration` outside debug and testing when a setting is unsafe."""
    if app.debug or app.testing:
        return
    problem = unsafe_setting(app.config)
    if problem is not None:
        raise UnsafeConfiguration(problem)
