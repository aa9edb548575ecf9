"""Rate limits over real HTTP, counted in the real Redis (127.0.0.1:6379) and in memory."""

from __future__ import annotations

import http.client
import json
import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
import redis
import requests
from flask import Flask
from werkzeug.serving import make_server

from gateway import create_app
from tests.admin_support import make_account
from tests.live_support import answering
from tests.support import ASSERTION_TYPE, basic, bearer

REDIS_URL = "redis://127.0.0.1:6379/0"
POLICY = re.compile(r'^"[a-z-]+";q=\d+;w=\d+$')
FIELDS = re.compile(r'^"[a-z-]+";r=\d+;t=\d+$')


def _beside(app, **config: str) -> Flask:
    """A second app on the session database, keys and issuer, with ``config`` on top."""
    return create_app({**{k: app.config[k] for k in ("TESTING", "DATABASE_URL", "KEY_DIR",
                                                     "INSTANCE_PATH", "ISSUER")}, **config})


@pytest.fixture(params=["memory", "redis"])
def limited(request, app) -> Iterator[tuple[str, object]]:
    """A second app on the session database with rate limits on, served over HTTP."""
    prefix = f"gw-test-{uuid.uuid4().hex}"
    storage = REDIS_URL if request.param == "redis" else "memory://"
    limited_app = _beside(app, RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix,
                          RATE_LIMIT_API_PER_CLIENT="5/minute")
    with answering(make_server("127.0.0.1", 0, limited_app, threaded=True)) as server:
        yield f"http://127.0.0.1:{server.server_port}", limited_app
    if request.param == "redis":
        store = redis.Redis.from_url(REDIS_URL)
        keys = list(store.scan_iter(f"*{prefix}*"))
        assert keys, "the limits were not counted in Redis"
        store.delete(*keys)


def _assert_refused(response: requests.Response) -> None:
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1
    assert POLICY.match(response.headers["RateLimit-Policy"])
    assert FIELDS.match(response.headers["RateLimit"])
    assert response.json()["status"] == 429


def _post_from(source: str, url: str, form: dict, headers: dict | None = None
               ) -> tuple[int, dict, dict]:
    """POST a form from the loopback address ``source`` (127.0.0.0/8 is all ours)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10,
                                            source_address=(source, 0))
    try:
        connection.request("POST", parts.path, body=urlencode(form), headers={
            "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def test_wrong_secrets_per_client_id_stop_at_30_a_minute(limited, network_admin):
    url, _app = limited
    wrong = basic(network_admin.client_id, "wrong")
    token = {"grant_type": "client_credentials"}
    for number in range(30):  # from two addresses, 15 each: only the client's count reaches 30
        status, headers, body = _post_from(f"127.0.0.{2 + number % 2}", url + "/oauth/token",
                                           token, wrong)
        assert (status, body["error"]) == (401, "invalid_client")
        assert POLICY.match(headers["RateLimit-Policy"])
    # a shared secret can be guessed from many addresses: its client is held back, even with
    # the right secret, until the minute is over
    status, headers, body = _post_from("127.0.0.4", url + "/oauth/token", token,
                                       network_admin.basic())
    assert (status, body["status"]) == (429, 429)
    assert int(headers["Retry-After"]) >= 1
    assert FIELDS.match(headers["RateLimit"])


def test_failed_assertions_claiming_a_client_never_lock_it_out(limited, make_partner):
    url, _app = limited
    partner = make_partner()
    wrong = make_partner().key  # a real key, but not this client's
    for number in range(40):  # from two addresses, 20 each: under their own limits
        status, _headers, body = _post_from(f"127.0.0.{2 + number % 2}", url + "/oauth/token",
                                            partner.token_form(
                                                assertion=partner.assertion(key=wrong)))
        assert (status, body["error"]) == (400, "invalid_client")
    for _ in range(20):  # shared secrets tried against its id count too
        _post_from("127.0.0.6", url + "/oauth/token", {"grant_type": "client_credentials"},
                   basic(partner.client_id, "wrong"))
    # no failure brings anyone closer to forging its signature: it still gets tokens
    status, _headers, body = _post_from("127.0.0.4", url + "/oauth/token", partner.token_form())
    assert (status, body["token_type"]) == (200, "Bearer")
    # and the addresses that failed are held back by their own limits
    for _ in range(10):
        _post_from("127.0.0.2", url + "/oauth/token",
                   partner.token_form(assertion=partner.assertion(key=wrong)))
    assert _post_from("127.0.0.2", url + "/oauth/token", partner.token_form())[0] == 429


def test_requests_claiming_a_client_do_not_spend_its_token_budget(app, make_partner):
    partner = make_partner()
    budget = _beside(app, RATELIMIT_STORAGE_URI="memory://",
                     RATE_LIMIT_OAUTH_PER_CLIENT="3/minute")
    with answering(make_server("127.0.0.1", 0, budget, threaded=True)) as server:
        url = f"http://127.0.0.1:{server.server_port}/oauth/token"
        forged = partner.token_form(assertion=partner.assertion(key=make_partner().key))
        for number in range(6):  # others claiming its id, from other addresses
            assert _post_from(f"127.0.0.{2 + number % 3}", url, forged)[0] == 400
        for _ in range(3):  # its own budget is whole
            assert _post_from("127.0.0.7", url, partner.token_form())[0] == 200
        status, headers, _body = _post_from("127.0.0.7", url, partner.token_form())
        assert status == 429 and int(headers["Retry-After"]) >= 1  # and spent by its own


def test_failed_authentications_per_address_stop_at_30(limited, make_partner):
    url, _app = limited
    partner = make_partner()
    for number in range(30):
        response = requests.post(url + "/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": f"not-a-jws-{number}"})
        assert response.status_code == 400
    _assert_refused(requests.post(url + "/oauth/token", data=partner.token_form(), timeout=10))
    assert _post_from("127.0.0.5", url + "/oauth/token", partner.token_form())[0] == 200


def test_wrong_basic_secrets_from_one_address_stop_at_30(limited, network_admin):
    url, _app = limited
    for number in range(30):
        response = requests.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                                 headers=basic(f"client-{number}", "wrong"), timeout=10)
        assert response.status_code == 401
    response = requests.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                             headers=network_admin.basic(), timeout=10)
    _assert_refused(response)


def test_successful_token_requests_do_not_count_as_failures(limited, make_partner):
    url, _app = limited
    partner = make_partner()
    for _ in range(35):
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": partner.assertion()}
        assert requests.post(url + "/oauth/token", data=form, timeout=10).status_code == 200


def test_api_is_limited_per_client(limited, make_partner):
    url, _app = limited
    first, second = make_partner(), make_partner()
    tokens = [requests.post(url + "/oauth/token", data=p.token_form(), timeout=10)
              .json()["access_token"] for p in (first, second)]
    for _ in range(5):
        response = requests.get(url + "/api/v1/referrals", headers=bearer(tokens[0]), timeout=10)
        assert response.status_code == 200
        assert FIELDS.match(response.headers["RateLimit"])
    # one budget per client across routes: another route is refused too
    _assert_refused(requests.get(f"{url}/api/v1/referrals/{uuid.uuid4()}",
                                 headers=bearer(tokens[0]), timeout=10))
    assert requests.get(url + "/api/v1/referrals", headers=bearer(tokens[1]),
                        timeout=10).status_code == 200


def test_admin_sign_in_is_limited_per_account(limited, app):
    url, _app = limited
    account = make_account(app)
    session = requests.Session()
    page = session.get(url + "/admin/sign-in", timeout=10).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"csrf_token": csrf, "email": account.email, "password": "wrong", "code": "000000"}
    for _ in range(10):
        assert session.post(url + "/admin/sign-in", data=form, timeout=10).status_code == 200
    _assert_refused(session.post(url + "/admin/sign-in", data={**form, "email":
                                 account.email.upper()}, timeout=10))


def test_an_unreachable_redis_falls_back_to_counting_in_memory(app):
    fallback = _beside(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",  # port 1: no one
                       RATE_LIMIT_CLIENT_AUTH_FAILURES="2/minute")
    client = fallback.test_client()
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": "not-a-jws"}
    assert [client.post("/oauth/token", data=form).status_code for _ in range(3)] == [400, 400,
                                                                                      429]
