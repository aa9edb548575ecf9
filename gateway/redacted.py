"""Log failures by exception type and frames only, never by message.

Exception messages may carry data: SQLAlchemy appends the statement's bound parameters, psycopg
quotes the offending row or key values, and a library may repeat what it was given. The
frames (file, line, source line) say where it went wrong without any value.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from flask import Flask, request


def describe(exc: BaseException) -> str:
    """The exception's type and frames (no message, no chained messages)."""
    return f"{type(exc).__name__}\n{''.join(traceback.format_tb(exc.__traceback__))}"


def log_failure(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log ``what`` failed, with :func:`describe` of ``exc`` at ERROR."""
    logger.error("%s: %s", what, describe(exc))


class RedactingFlask(Flask):
    """Flask whose own last-resort log (an error escaping every handler, e.g. a failed commit
    in ``after_request``) names the exception type and frames, not its message."""

    def log_exception(self, exc_info: tuple[type, BaseException, TracebackType]
                      | tuple[None, None, None]) -> None:
        """Log an unhandled exception as :func:`log_failure` does (path without query)."""
        what = f"exception on {request.method} {request.path}"
        if exc_info[1] is None:
            self.logger.error(what)
        else:
            log_failure(self.logger, what, exc_info[1])
