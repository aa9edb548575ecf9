"""Revocation across hosts: two gunicorn servers on one database, tokens trusted without a
database round trip, and a revoked token or client refused everywhere within the poll interval.

Each server re-reads the deny state, and the token endpoint its copy of a client, when the copy
is older than TOKEN_REVOCATION_POLL_SECONDS (1 s, the default), so after that long every worker
of every server has read it afresh: what is asserted is that behaviour after the interval,
never how fast a request was.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from gateway.db import transaction
from gateway.services.actor import Actor
from gateway.services.network import clients
from tests.live_support import _free_port, gateway_env, serve
from tests.support import bearer

pytestmark = pytest.mark.live

POLL_SECONDS = 1.0
TIMEOUT = 30
TRIES = 8  # requests per check: enough to meet both workers of a server


@pytest.fixture
def servers(app, database_url: str, key_dir: Path, tmp_path: Path) -> Iterator[list[str]]:
    """Two gunicorn servers (2 workers each) answering for one issuer, like two hosts."""
    ports = [_free_port(), _free_port()]
    env = gateway_env(database_url, key_dir, f"http://127.0.0.1:{ports[0]}",
                      TOKEN_REVOCATION_POLL_SECONDS=POLL_SECONDS)
    with ExitStack() as stack:
        yield [serve(stack, env, port, tmp_path / f"gunicorn-{port}.log") for port in ports]


def _statuses(url: str, token: str) -> set[int]:
    return {requests.get(url + "/api/v1/referrals", params={"box": "sent"},
                         headers=bearer(token), timeout=TIMEOUT).status_code
            for _ in range(TRIES)}


def _token(url: str, partner) -> str:
    response = requests.post(url + "/oauth/token", data=partner.token_form(), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _token_statuses(url: str, partner) -> set[int]:
    return {requests.post(url + "/oauth/token", data=partner.token_form(),
                          timeout=TIMEOUT).status_code for _ in range(TRIES)}


def test_a_revoked_token_is_refused_by_the_other_server_after_the_poll_interval(
        servers, make_partner):
    first, second = servers
    partner = replace(make_partner("university"), issuer=first)
    token, other = _token(first, partner), _token(first, partner)
    assert _statuses(second, token) == {200}  # trusted on its claims on the other host
    revoked = requests.post(first + "/oauth/revoke", data={"token": token,
                                                           **partner.token_form()},
                            timeout=TIMEOUT)
    assert revoked.status_code == 200, revoked.text
    assert _statuses(first, token) <= {200, 401}
    time.sleep(POLL_SECONDS)
    assert _statuses(second, token) == {401}
    assert _statuses(first, token) == {401}
    assert _statuses(second, other) == {200}  # only that token


def test_a_client_revoked_elsewhere_is_refused_by_both_servers_after_the_poll_interval(
        app, servers, make_partner):
    first, second = servers
    partner = replace(make_partner("university"), issuer=first)
    bystander = replace(make_partner("university"), issuer=first)
    token, unrelated = _token(first, partner), _token(first, bystander)
    assert _statuses(first, token) == _statuses(second, token) == {200}
    with transaction(app) as session:  # a third process: the coordinators' admin, say
        clients.revoke(session, Actor.system("test"), partner.client_id)
    time.sleep(POLL_SECONDS)
    assert _statuses(first, token) == _statuses(second, token) == {401}
    assert _statuses(second, unrelated) == {200}


def test_a_client_revoked_elsewhere_gets_no_token_from_either_server_after_the_poll_interval(
        app, servers, make_partner):
    first, second = servers
    partner = replace(make_partner("university"), issuer=first)
    assert _token_statuses(first, partner) == _token_statuses(second, partner) == {200}
    with transaction(app) as session:  # a third process: every worker holds a copy
        clients.revoke(session, Actor.system("test"), partner.client_id)
    time.sleep(POLL_SECONDS)
    assert _token_statuses(first, partner) == _token_statuses(second, partner) == {400}
