"""Browser fixtures shared by the admin UI's Chromium modules: gunicorn, Chromium, a page.

Each module gets its own server and browser (module scope) and a fresh context per test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, sync_playwright

from tests.browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

# what the browser tests' server calls its regions (the UI shows names, not slugs)
REGION_NAMES = {"r1": "上海市闵行区"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(request, database_url: str, key_dir: Path) -> Iterator[str]:
    """gunicorn serving the gateway on the session's database and keys."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_KEY_DIR": str(key_dir),
           "GATEWAY_INSTANCE_PATH": str(key_dir.parent), "GATEWAY_ISSUER": url,
           "GATEWAY_REGION_NAMES": json.dumps(REGION_NAMES)}
    ARTIFACTS.mkdir(exist_ok=True)
    log_name = f"gunicorn-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    log = (ARTIFACTS / log_name).open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "gateway:create_app()"], env=env,
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("gunicorn did not start; see test-artifacts/" + log_name + "")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()  # gunicorn's graceful stop may take a while on a loaded machine
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
