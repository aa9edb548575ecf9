"""RFC 9457 problem details: every 4xx and 5xx the gateway returns is one of these."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, json
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from gateway.logs import current_request_id
from gateway.redacted import log_failure
from gateway.security_log import log_security_event
from gateway.services import errors
from gateway.services.audit.security_events import CONSENT_REFUSED

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)
#: The database is down, restarting or out of connections: the request changed nothing (its
#: transaction never committed) and may simply be sent again.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                        sa_exc.DisconnectionError)
RETRY_AFTER_SECONDS = 2

STATUS_OF = {
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.IdempotencyKeyReused: 422,
    errors.InvalidInput: 422,
    errors.SignInFailed: 401,
    errors.UnsupportedDocument: 415,
    errors.RateLimited: 429,
    errors.VersionMismatch: 412,
}


def problem(status: int, title: str, detail: str | None = None, slug: str | None = None,
            headers: dict[str, str] | None = None, **extensions: object) -> Response:
    """Build a problem+json response; ``slug`` names a gateway problem type."""
    body: dict[str, object] = {
        "type": f"{current_app.config['ISSUER']}/problems/{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status of a domain exception (its nearest mapped class; 400 by default)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def handle_domain_error(exc: errors.DomainError) -> Response:
    """Map a service's domain exception to its problem response; a consent refusal is also
    a security event in the audit log."""
    if isinstance(exc, errors.ConsentRequired):
        actor = g.get("actor")
        source = str(actor.institution_id or actor.label) if actor else "unknown"
        missing = json.loads(json.dumps(exc.extensions.get("missing_consent") or {}))
        log_security_event(CONSENT_REFUSED, source, "consent", None,
                           detail={"missing": missing})
    return problem(status_of(exc), exc.title, exc.detail, exc.slug, **exc.extensions)


def handle_http_exception(exc: HTTPException) -> Response:
    """Werkzeug and flask-smorest errors as problems; validation errors list the fields."""
    status = exc.code or 500
    if status == 500 and isinstance(getattr(exc, "original_exception", None),
                                    DATABASE_UNAVAILABLE):  # raised while committing
        return handle_database_unavailable(exc.original_exception)
    extensions: dict[str, object] = {}
    data = getattr(exc, "data", None) or {}
    if "messages" in data:  # webargs/marshmallow validation errors, by location then field
        extensions["errors"] = data["messages"]
    headers = dict(data.get("headers") or {})
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if exc.response is not None and "WWW-Authenticate" in exc.response.headers:
        headers["WWW-Authenticate"] = exc.response.headers["WWW-Authenticate"]
    detail = exc.description if status < 500 else None
    return problem(status, exc.name, detail, headers=headers, **extensions)


def unavailable() -> Response:
    """503: the database cannot be reached now; nothing was written; try again shortly."""
    return problem(503, "Service Unavailable",
                   "The gateway's database is unavailable; nothing was changed. Try again shortly.",
                   slug="unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_database_unavailable(exc: Exception) -> Response:
    """A lost or refused database connection: 503 with ``Retry-After``, logged without data."""
    log_failure(log, "database unavailable", exc)
    return unavailable()


def handle_unexpected(exc: Exception) -> Response:
    """Anything else: log type and frames, never the message (it may hold data); say 500."""
    log_failure(log, "unhandled", exc)
    return problem(500, "Internal Server Error")


def init_problems(app: Flask) -> None:
    """Register the error handlers (after flask-smorest, so ours win)."""
    app.register_error_handler(errors.DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for database_error in DATABASE_UNAVAILABLE:
        app.register_error_handler(database_error, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
