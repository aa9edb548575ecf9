"""Helpers for admin UI tests: coordinator accounts, TOTP codes, CSRF tokens, signing in."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import pyotp

from gateway.db import transaction
from gateway.models import CoordinatorRole
from gateway.services.coordination import accounts
from tests.support import TESTER

PASSWORD = "a long test password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Account:
    """A coordinator account with what its owner knows: password and TOTP secret."""

    id: uuid.UUID
    email: str
    totp_secret: str
    password: str = PASSWORD
    steps_used: int = 0

    @property
    def label(self) -> str:
        return f"coordinator:{self.id}"

    def code(self) -> str:
        """A fresh code each call (the next time step, within the accepted drift)."""
        self.steps_used += 1
        if self.steps_used > 2:
            raise RuntimeError("only two codes can be fresh at once; sign in fewer times")
        return pyotp.TOTP(self.totp_secret).at(time.time() + 30 * (self.steps_used - 1))


def make_account(app, region: str | None = "r1", role: str = "coordinator") -> Account:
    """Create a coordinator (or admin) directly through the service."""
    with transaction(app) as session:
        created = accounts.create(
            session, TESTER, email=f"{uuid.uuid4().hex[:8]}@example.org", password=PASSWORD,
            role=CoordinatorRole(role), region=region)
        return Account(created.coordinator.id, created.coordinator.email, created.totp_secret)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client, page: str, action: str, data: dict):
    """GET ``page`` for a CSRF token, then POST ``data`` with it to ``action``."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def sign_in(client, account: Account, code: str | None = None):
    """Sign in with password and TOTP (a fresh code unless ``code``); returns the response."""
    return post_form(client, "/admin/sign-in", "/admin/sign-in", {
        "email": account.email, "password": account.password, "code": code or account.code()})
