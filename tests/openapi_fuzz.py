"""Schemathesis against /openapi.json, shared by the property tests: no generated request to a
documented operation answers 5xx. Path ids are replaced by real objects so requests get past 404."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support import bearer

EXAMPLES = 10


def operations_under(app: Flask, path_regex: str) -> list:
    """The documented operations whose path matches ``path_regex``."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(path_regex=path_regex)
    return [result.ok() for result in schema.get_all_operations()]


def assert_documented(spec: dict, prefixes: tuple[str, ...],
                      expected: set[tuple[str, str]]) -> None:
    """``spec`` documents exactly ``expected`` (METHOD, path) under ``prefixes``, each operation
    with a summary and a security requirement."""
    operations = {(method.upper(), path): operation for path, item in spec["paths"].items()
                  for method, operation in item.items()
                  if method != "parameters" and path.startswith(prefixes)}
    assert set(operations) == expected
    for operation in operations.values():
        assert operation["summary"] and operation["security"]


def assert_no_server_errors(operations: Sequence, ids: Mapping[str, str],
                            tokens: Callable[[str], Sequence[str]], examples: int = EXAMPLES,
                            fields: Mapping[str, object] | None = None) -> None:
    """Call every operation with bounded generated cases (valid and invalid), each with every
    token of ``tokens(path)``; path parameters named in ``ids`` are set to those real ids and
    top-level body members named in ``fields`` to those values, so requests get past 404."""
    for operation in operations:
        _fuzz(operation, ids, fields or {}, tokens(operation.path), examples)


def _fuzz(operation, ids: Mapping[str, str], fields: Mapping[str, object],
          callers: Sequence[str], examples: int) -> None:
    @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE)))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def no_server_error(case):
        for name in case.path_parameters or {}:
            case.path_parameters[name] = ids.get(name, case.path_parameters[name])
        if isinstance(case.body, dict):
            case.body.update({name: value for name, value in fields.items() if name in case.body})
        for token in callers:
            response = case.call(headers=bearer(token))
            case.validate_response(response, checks=[not_a_server_error])

    no_server_error()
