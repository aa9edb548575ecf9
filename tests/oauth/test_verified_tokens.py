"""Access tokens remembered once verified: an expired token, a token whose signing key left the
key set and a revoked token are refused exactly as if this process had never seen them."""

from __future__ import annotations

import dataclasses
import time

import pytest
from werkzeug.test import TestResponse

from keys.signing import SigningKeys
from tests.support import Partner, bearer, new_key

INBOX = "/api/v1/referrals?box=inbox"


@pytest.fixture
def university(make_partner) -> Partner:
    return make_partner("university")


def _refusal(response: TestResponse) -> tuple[int, dict, str]:
    """What a refusal says, without its request id (every request has its own)."""
    body = {name: value for name, value in response.get_json().items() if name != "request_id"}
    return response.status_code, body, response.headers["WWW-Authenticate"]


def _keyring_signing(app, monkeypatch, *keys) -> None:
    """The app's signing keys replaced by ``keys`` (the last signs), as on a restart after a
    key was added or removed."""
    keyring = app.extensions["gateway.keyring"]
    monkeypatch.setitem(app.extensions, "gateway.keyring",
                        dataclasses.replace(keyring, signing=SigningKeys(tuple(keys))))


def test_a_remembered_token_is_refused_once_expired_as_one_never_seen(
        client, university, forge_token):
    now = int(time.time())
    token = forge_token(university, iat=now, nbf=now, exp=now + 1)
    assert client.get(INBOX, headers=bearer(token)).status_code == 200  # verified, remembered
    time.sleep(max(0.0, now + 1 - time.time()) + 0.05)
    unseen = forge_token(university, iat=now, nbf=now, exp=now + 1)
    late = client.get(INBOX, headers=bearer(token))
    assert late.status_code == 401
    assert _refusal(late) == _refusal(client.get(INBOX, headers=bearer(unseen)))


def test_a_token_whose_key_left_the_key_set_is_refused_once_it_changes(
        app, client, university, forge_token, monkeypatch):
    current = app.extensions["gateway.keyring"].signing.current
    retiring = new_key(kid="retiring")
    _keyring_signing(app, monkeypatch, retiring, current)
    token = forge_token(university, key=retiring)
    assert client.get(INBOX, headers=bearer(token)).status_code == 200  # remembered
    assert client.get(INBOX, headers=bearer(token)).status_code == 200
    _keyring_signing(app, monkeypatch, current)
    refused = client.get(INBOX, headers=bearer(token))
    unseen = client.get(INBOX, headers=bearer(forge_token(university, key=retiring)))
    assert refused.status_code == 401
    assert _refusal(refused) == _refusal(unseen)
    assert client.get(INBOX, headers=bearer(forge_token(university))).status_code == 200


def test_a_remembered_token_revoked_is_refused_at_once(client, university, token_for):
    token = token_for(university)
    assert client.get(INBOX, headers=bearer(token)).status_code == 200
    revoked = client.post("/oauth/revoke", data={"token": token, **university.token_form()})
    assert revoked.status_code == 200
    assert client.get(INBOX, headers=bearer(token)).status_code == 401


def test_a_remembered_token_changed_by_one_character_is_verified_afresh(
        client, university, forge_token):
    token = forge_token(university)
    assert client.get(INBOX, headers=bearer(token)).status_code == 200
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert client.get(INBOX, headers=bearer(tampered)).status_code == 401
