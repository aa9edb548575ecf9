"""Structured logs: one JSON object a line (python-json-logger), each with its request id.

The request id is the caller's ``X-Request-ID`` when it is sane (8-128 letters, digits and
``._:-``), otherwise a new one; it is echoed in ``X-Request-ID`` and in every problem+json
(``request_id``). The delivery worker and the scheduler give each batch or sweep an id of its
own, so their lines can be followed the same way. What is logged stays as redacted.py says:
exception types and frames, never messages with bound values; ids, never personal data.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from gateway.services.audit.journal import current_request_id as request_id_var

HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request (or worker batch) being handled, if any."""
    if has_request_context() and "request_id" in g:
        return g.request_id
    return request_id_var.get()


@contextmanager
def request_id_scope(request_id: str | None = None) -> Iterator[str]:
    """Log lines inside carry ``request_id`` (a new one by default): a batch, a sweep."""
    token = request_id_var.set(request_id or new_request_id())
    try:
        yield request_id_var.get()
    finally:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request or batch)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def json_handler(stream=None) -> logging.Handler:
    """A handler writing one JSON object per record to ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(FIELDS, rename_fields=RENAMED))
    handler.addFilter(RequestIdFilter())
    handler.gateway_json = True  # type: ignore[attr-defined]
    return handler


def _assign_request_id() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else new_request_id()
    g.request_id_token = request_id_var.set(g.request_id)  # audit entries record it too


def _release_request_id(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def _echo_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def init_logging(app: Flask) -> None:
    """Request ids for ``app``; JSON lines on stderr from the root logger (once a process)."""
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    app.teardown_request(_release_request_id)
    if not app.config["LOG_JSON"]:
        return
    root = logging.getLogger()
    if not any(getattr(handler, "gateway_json", False) for handler in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(app.config["LOG_LEVEL"])
