"""Serving iCalendar bodies from API views."""

from __future__ import annotations

from flask import Response

from adapters.ical import MEDIA_TYPE

ICS_RESPONSE = {"content_type": MEDIA_TYPE,
                "description": "An RFC 5545 iCalendar object.",
                "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…\r\nEND:VCALENDAR\r\n"}


def ics(body: bytes, name: str) -> Response:
    """A ``text/calendar`` response offered as ``name``.ics."""
    return Response(body, mimetype=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.ics"'})
