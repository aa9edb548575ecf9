"""A request id per HTTP request: taken from a well-formed ``X-Request-ID`` or made up, echoed
in the response and recorded with every audit entry the request makes."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

from gateway.services.audit.journal import current_request_id

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")


def init_request_ids(app: Flask) -> None:
    """Register the hooks that set, echo and clear the request id."""

    @app.before_request
    def _bind() -> None:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _WELL_FORMED.fullmatch(offered) else uuid.uuid4().hex
        g.request_id_token = current_request_id.set(g.request_id)

    @app.after_request
    def _echo(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            current_request_id.reset(token)
