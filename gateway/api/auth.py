"""Bearer-token authentication for API views: establishes the :class:`Actor`."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

import flask_smorest
from flask import g

from gateway.oauth.server import require_oauth
from gateway.ratelimit import rate_limits
from gateway.services.actor import Actor


def authenticated(scope: str) -> Callable:
    """Require a valid access token carrying ``scope``, before the body is even parsed.

    The same scope is declared as the operation's OpenAPI ``security`` requirement, so what is
    enforced and what is documented cannot drift apart.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            token = require_oauth.acquire_token([scope])
            claims = token.claims
            institution = claims.get("institution_id")
            g.actor = Actor(
                client_id=claims["client_id"],
                institution_id=uuid.UUID(institution) if institution else None,
                scopes=frozenset(token.get_scope().split()),
            )
            rate_limits().api_request()
            return view(*args, **kwargs)

        return flask_smorest.Blueprint.doc(security=[{"oauth2": [scope]}])(wrapper)

    return decorator


def current_actor() -> Actor:
    """The actor established by :func:`authenticated` for this request."""
    return g.actor
