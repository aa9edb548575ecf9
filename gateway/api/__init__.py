"""The partner API: one flask-smorest blueprint per resource."""

from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import Schema

from gateway.jsonbody import ArgumentsParser


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing request arguments with :class:`ArgumentsParser`."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any):
        """flask-smorest's ``arguments``, with the schema built once here: given a class,
        webargs would build an instance (deep-copying its fields) for every request, and a
        schema holds no request state."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args,
                                 **kwargs)
