"""Fixtures of the admin UI tests: a coordinator of region r1, signed in."""

from __future__ import annotations

import pytest

from tests.admin_support import make_account, sign_in


@pytest.fixture
def account(app):
    """A coordinator account of region r1."""
    return make_account(app, region="r1")


@pytest.fixture
def signed_in(client, account):
    """The test client, signed in as :func:`account`."""
    assert sign_in(client, account).status_code == 302
    return client
