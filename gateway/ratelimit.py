"""Rate limits (flask-limiter): the token endpoint, the API per client, admin sign-in.

Storage is Redis when ``RATELIMIT_STORAGE_URI`` (``GATEWAY_RATELIMIT_STORAGE_URI``) names one,
so every worker and host counts together; memory otherwise (one process only). Each app gets
its own :class:`~flask_limiter.Limiter` (tests build several apps in one process). A refusal is
a 429 problem+json with ``Retry-After``; every limited response carries the IETF draft's
``RateLimit`` and ``RateLimit-Policy`` fields for the limit closest to running out.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from joserfc import jws
from joserfc.errors import JoseError

from gateway.problems import problem

EXTENSION_KEY = "gateway.ratelimit"


class RateLimits:
    """The app's limiter and the checks that views call once they know who is asking."""

    def __init__(self, app: Flask) -> None:
        config = app.config
        self.limiter = Limiter(get_remote_address, app=app, headers_enabled=False,
                               storage_uri=config["RATELIMIT_STORAGE_URI"])
        limit = self.limiter.limit
        failed = _failed_client_authentication

        def token_request() -> None:
            """Counted once per token request (named so the limits share one owner)."""

        def api_request() -> None:
            """Counted once per authenticated API request."""

        def sign_in_attempt() -> None:
            """Counted once per posted sign-in form."""

        # Per claimed client, a limit counts only what nobody else can add to its count, so
        # that no one locks a partner out by claiming its id: the client's budget is spent by
        # requests that authenticated as it, and failures against its id hold back shared
        # secrets only (guessed across addresses), never a signed assertion, which no failure
        # brings closer to forgery.
        self.token_request = _apply(token_request, [
            limit(config["RATE_LIMIT_OAUTH_PER_ADDRESS"], scope="token-address"),
            limit(config["RATE_LIMIT_OAUTH_PER_CLIENT"], key_func=_claimed_client_id,
                  scope="token-client", deduct_when=lambda response: not failed(response)),
            limit(config["RATE_LIMIT_CLIENT_AUTH_FAILURES"], scope="token-failed-address",
                  deduct_when=failed),
            limit(config["RATE_LIMIT_CLIENT_AUTH_FAILURES"], key_func=_claimed_client_id,
                  scope="token-failed-client", deduct_when=failed,
                  exempt_when=_signed_assertion),
        ])
        self.api_request = _apply(api_request, [
            self.limiter.shared_limit(config["RATE_LIMIT_API_PER_CLIENT"], scope="api-client",
                                      key_func=lambda: g.actor.client_id),
        ])
        self.sign_in_attempt = _apply(sign_in_attempt, [
            limit(config["RATE_LIMIT_SIGN_IN_PER_ADDRESS"], scope="sign-in-address"),
            limit(config["RATE_LIMIT_SIGN_IN_PER_ACCOUNT"], scope="sign-in-account",
                  key_func=lambda: (request.form.get("email") or "").strip().casefold()),
        ])

    def rate_limit_fields(self) -> dict[str, str]:
        """``RateLimit``/``RateLimit-Policy`` for the limit of this request nearest its end."""
        current = self.limiter.current_limit
        if current is None:
            return {}
        name = json.dumps(current.request_args[-1].rpartition(":")[2])  # our scope name
        window = current.limit.get_expiry()
        remaining = max(int(current.remaining), 0)
        reset = max(int(current.reset_at - time.time()), 0)
        return {"RateLimit-Policy": f"{name};q={current.limit.amount};w={window}",
                "RateLimit": f"{name};r={remaining};t={reset}"}


def _apply(function: Callable[[], None], decorators: list[Callable]) -> Callable[[], None]:
    for decorate in decorators:
        function = decorate(function)
    return function


def _failed_client_authentication(response: Response) -> bool:
    """RFC 6749 ``invalid_client`` (400, or 401 after an Authorization header)."""
    body = response.get_json(silent=True) if response.status_code in (400, 401) else None
    return isinstance(body, dict) and body.get("error") == "invalid_client"


def _signed_assertion() -> bool:
    """Whether the request authenticates with a client assertion (private_key_jwt)."""
    return bool(request.form.get("client_assertion"))


def _claimed_client_id() -> str:
    """The client a token request claims to be (not yet verified): the assertion's ``sub``,
    the Basic user name or the ``client_id`` field; an empty string when there is none."""
    form = request.form
    assertion = form.get("client_assertion")
    if assertion:
        try:
            claims = json.loads(jws.extract_compact(assertion.encode()).payload)
        except (JoseError, ValueError, UnicodeError):
            claims = None
        if isinstance(claims, dict) and isinstance(claims.get("sub"), str):
            return claims["sub"]
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials.strip():
        try:
            return base64.b64decode(credentials.strip()).decode().partition(":")[0]
        except (binascii.Error, UnicodeError):
            return ""
    return form.get("client_id", "")


def rate_limits() -> RateLimits:
    """The running app's rate limits."""
    return current_app.extensions[EXTENSION_KEY]


def _refused(exc: RateLimitExceeded) -> Response:
    fields = rate_limits().rate_limit_fields()
    retry_after = fields.get("RateLimit", "t=60").rpartition("t=")[2]
    return problem(429, "Too Many Requests", "Rate limit reached; try again later.",
                   slug="rate-limited", headers={"Retry-After": str(max(int(retry_after), 1)),
                                                 **fields})


def _add_fields(response: Response) -> Response:
    if response.status_code != 429:
        response.headers.update(rate_limits().rate_limit_fields())
    return response


def init_ratelimit(app: Flask) -> None:
    """Bind a limiter to ``app``, with the 429 problem and the ``RateLimit`` fields."""
    app.extensions[EXTENSION_KEY] = RateLimits(app)
    app.register_error_handler(RateLimitExceeded, _refused)
    app.after_request(_add_fields)
