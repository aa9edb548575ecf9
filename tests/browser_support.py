"""Helpers of the admin UI's Chromium tests (fixtures are in tests/admin/conftest.py).

Screenshots go to ``test-artifacts/`` (gitignored). Chromium comes from apt
(``.ci/ensure-chromium``); Playwright never downloads a browser here.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# two animation frames: the window's resize event and its handlers (the charts redrawing at
# the new width) have run before anything is measured
AFTER_RESIZE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
ACTIONS_OFF_SCREEN = """() => [...document.querySelectorAll('td.actions a, td.actions button')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth)
  .map(el => el.textContent)"""


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in test-artifacts/."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, server: str, account) -> None:
    """Sign in through the form; lands on the board."""
    page.goto(server + "/admin/sign-in")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.fill("#code", account.code())
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/board")
