"""URL path segments: a NUL character matches no route (404), so none reaches the database
(PostgreSQL text cannot hold it)."""

from __future__ import annotations

from werkzeug.routing import Map, UnicodeConverter


class TextConverter(UnicodeConverter):
    """Werkzeug's default (string) converter, refusing NUL as it refuses ``/``."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        super().__init__(map, minlength, maxlength, length)
        self.regex = "[^/\\x00]" + self.regex.removeprefix("[^/]")


CONVERTERS = {"default": TextConverter, "string": TextConverter}
