"""The token endpoint's copy of a client: a change made in this process takes effect at once,
one made elsewhere (another worker, host or tool on the same database) within the poll interval.

Like the deny state (``tests/ops/test_revocation_two_servers.py``), what is asserted is the
behaviour after the interval, never how fast a request was. "Elsewhere" is a second engine
writing with Core: no session of this process sees the change, as none of another process's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, update

from gateway.db import make_engine, transaction
from gateway.models import Client, Institution
from gateway.services.network import client_grants, clients, institutions
from tests.support import TESTER, Partner, new_key, public_jwks

POLL_SECONDS = 0.3


@pytest.fixture
def elsewhere(database_url: str) -> Iterator[Engine]:
    """Another engine on the app's database: its writes reach no session of this process."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def polled(app, monkeypatch) -> None:
    """The production-like poll interval instead of the suite's hour."""
    monkeypatch.setitem(app.config, "TOKEN_REVOCATION_POLL_SECONDS", POLL_SECONDS)


@pytest.fixture
def issued(client) -> Callable[..., bool]:
    """Whether a token request with ``form`` gets a token (else: invalid_client)."""

    def ask(form: dict, headers: dict | None = None) -> bool:
        response = client.post("/oauth/token", data=form, headers=headers)
        if response.status_code == 200:
            return True
        assert response.status_code in (400, 401), response.get_json()
        assert response.get_json()["error"] == "invalid_client"
        return False

    return ask


def _revoke(app, partner: Partner) -> None:
    with transaction(app) as session:
        clients.revoke(session, TESTER, partner.client_id)


def _deactivate_institution(app, partner: Partner) -> None:
    with transaction(app) as session:
        institutions.deactivate(session, TESTER, partner.institution_id)


@pytest.mark.parametrize("change", [_revoke, _deactivate_institution])
def test_a_client_ended_in_this_process_gets_no_token_at_once(app, make_partner, issued, change):
    partner = make_partner("university")
    assert issued(partner.token_form())  # the copy is made
    change(app, partner)
    assert not issued(partner.token_form())


def test_a_key_set_rotated_in_this_process_takes_effect_at_once(app, make_partner, issued):
    partner = make_partner("university")
    assert issued(partner.token_form())
    rotated = new_key()
    with transaction(app) as session:
        clients.replace_jwks(session, TESTER, partner.client_id, public_jwks(rotated))
    assert not issued(partner.token_form())
    assert issued(partner.token_form(assertion=partner.assertion(key=rotated)))


def test_narrowed_scopes_take_effect_at_once_in_this_process(app, client, make_partner):
    partner = make_partner("university", scopes=["referrals:read", "consents:read"])
    assert client.post("/oauth/token", data=partner.token_form("consents:read")).status_code == 200
    with transaction(app) as session:
        client_grants.set_scopes(session, TESTER, partner.client_id, ["referrals:read"])
    refused = client.post("/oauth/token", data=partner.token_form("consents:read"))
    assert refused.get_json()["error"] == "invalid_scope"


def test_a_rotated_secret_takes_effect_at_once_in_this_process(app, network_admin, issued):
    form = {"grant_type": "client_credentials"}
    assert issued(form, network_admin.basic())
    with transaction(app) as session:
        secret = client_grants.rotate_secret(session, TESTER, network_admin.client_id)
    assert not issued(form, network_admin.basic())
    assert issued(form, type(network_admin)(network_admin.client_id, secret).basic())


@pytest.mark.parametrize("column", ["active", "institution"])
def test_a_client_ended_elsewhere_gets_no_token_after_the_poll_interval(
        polled, make_partner, issued, elsewhere, column):
    partner, bystander = make_partner("university"), make_partner("university")
    assert issued(partner.token_form()) and issued(bystander.token_form())
    with elsewhere.begin() as connection:
        if column == "active":
            connection.execute(update(Client).where(Client.client_id == partner.client_id)
                               .values(active=False))
        else:
            connection.execute(update(Institution).where(Institution.id == partner.institution_id)
                               .values(active=False))
    time.sleep(POLL_SECONDS)
    assert not issued(partner.token_form())
    assert issued(bystander.token_form())


def test_a_key_set_replaced_elsewhere_takes_effect_after_the_poll_interval(
        polled, make_partner, issued, elsewhere):
    partner = make_partner("university")
    assert issued(partner.token_form())
    rotated = new_key()
    with elsewhere.begin() as connection:
        connection.execute(update(Client).where(Client.client_id == partner.client_id)
                           .values(jwks=public_jwks(rotated)))
    time.sleep(POLL_SECONDS)
    assert not issued(partner.token_form())
    assert issued(partner.token_form(assertion=partner.assertion(key=rotated)))
