"""The partner API: one flask-smorest blueprint per resource."""

from __future__ import annotations

from typing import Any

import flask_smorest
from marshmallow import Schema

from gateway.jsonbody import ArgumentsParser
from schemas import dumping


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing request arguments with :class:`ArgumentsParser` and
    dumping responses with each schema's planned dump (:mod:`schemas.dumping`)."""

    ARGUMENTS_PARSER = ArgumentsParser()

    def arguments(self, schema: type[Schema] | Schema, *args: Any, **kwargs: Any):
        """flask-smorest's ``arguments``, with the schema built once here: given a class,
        webargs would build an instance (deep-copying its fields) for every request, and a
        schema holds no request state."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args,
                                 **kwargs)

    def response(self, status_code: int | str, schema: Any = None, **kwargs: Any):
        """flask-smorest's ``response``, a schema dumped by :func:`schemas.dumping.compiled`
        (the same output as ``Schema.dump``)."""
        if isinstance(schema, type) and issubclass(schema, Schema):
            schema = schema()
        if isinstance(schema, Schema):
            schema = dumping.compiled(schema)
        return super().response(status_code, schema, **kwargs)
