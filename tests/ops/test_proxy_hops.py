"""Forwarded headers count only behind the configured number of trusted proxies."""

from __future__ import annotations

import pytest
from flask import request

from gateway import create_app

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def _seen_by(app, **extra):
    keep = ("DATABASE_URL", "KEY_DIR", "INSTANCE_PATH")
    served = create_app({**{key: app.config[key] for key in keep}, **extra})
    served.add_url_rule("/seen", "seen", lambda: {"address": request.remote_addr,
                                                  "scheme": request.scheme})
    return served.test_client().get("/seen", headers=FORWARDED).get_json()


def test_without_trusted_proxies_a_client_cannot_choose_its_address(app):
    assert _seen_by(app) == {"address": "127.0.0.1", "scheme": "http"}


def test_behind_one_trusted_proxy_the_forwarded_address_counts(app):
    assert _seen_by(app, TRUSTED_PROXY_HOPS=1) == {"address": "203.0.113.7", "scheme": "https"}


def test_a_negative_hop_count_is_refused_at_start_up(app):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS"):
        _seen_by(app, TRUSTED_PROXY_HOPS=-1)
