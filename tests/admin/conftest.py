"""Fixtures of the admin UI tests: a coordinator of region r1, signed in; and for the Chromium
modules gunicorn, Chromium and a page (each module its own server and browser, a fresh context
per test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.admin_support import make_account, sign_in
from tests.browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.live_support import NO_CONTROL_SOCKET, _free_port, _stop, _wait_until_healthy

# what the browser tests' server calls its regions (the UI shows names, not slugs)
REGION_NAMES = {"r1": "上海市闵行区"}


@pytest.fixture
def account(app):
    """A coordinator account of region r1."""
    return make_account(app, region="r1")


@pytest.fixture
def signed_in(client, account):
    """The test client, signed in as :func:`account`."""
    assert sign_in(client, account).status_code == 302
    return client


@pytest.fixture(scope="module")
def server(request, database_url: str, key_dir: Path) -> Iterator[str]:
    """gunicorn serving the gateway on the session's database and keys."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": url,
           "GATEWAY_REGION_NAMES": json.dumps(REGION_NAMES)}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"gunicorn-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind",
             f"127.0.0.1:{port}", *NO_CONTROL_SOCKET, "gateway:create_app()"], env=env,
            stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_healthy(url, process, log_path)
            yield url
        finally:
            _stop(process)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("Chromium missing: run 'bash .ci/ensure-chromium' (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    """A fresh browser context and page at desktop width."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
