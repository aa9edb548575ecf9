"""The partner API: one flask-smorest blueprint per resource."""

from __future__ import annotations

import flask_smorest

from gateway.jsonbody import ArgumentsParser


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing request arguments with :class:`ArgumentsParser`."""

    ARGUMENTS_PARSER = ArgumentsParser()
