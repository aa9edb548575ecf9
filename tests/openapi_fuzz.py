"""Schemathesis against /openapi.json, shared by the property tests: every generated request to a
documented operation passes all of schemathesis's checks (no 5xx, only documented statuses and
media types, bodies and headers as documented, invalid data refused, valid data accepted…).
Path ids are replaced by real objects so requests get past 404."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from tests.support import bearer

EXAMPLES = 10
#: Valid data may still break a domain rule JSON Schema cannot state (an end before its start,
#: no consent on file, a partner outside the partnership): that is a 422 or 409, not a defect.
POSITIVE_DATA_STATUSES = ["2xx", "401", "403", "404", "409", "422", "429"]
#: A FHIR resource body is documented by its resourceType only (its full rules are FHIR R4's,
#: checked with fhir.resources): an invalid Task is FHIR's 400, whatever the generator thought.
FHIR_WRITES = r"^/fhir/R4/Task"


def _config() -> SchemathesisConfig:
    def accepting(*statuses: str) -> dict:
        return {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_DATA_STATUSES,
                                                                   *statuses]}}

    return SchemathesisConfig.from_dict({"checks": accepting(), "operations": [
        {"include-path-regex": FHIR_WRITES, "include-method": ["POST", "PUT"],
         "checks": accepting("400")}]})


def operations_under(app: Flask, path_regex: str) -> list:
    """The documented operations whose path matches ``path_regex``."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config())
    operations = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in operations if re.match(path_regex, operation.path)]


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


def assert_conforms(operations: Sequence, ids: Mapping[str, str],
                    tokens: Callable[[str], Sequence[str | None]], examples: int = EXAMPLES,
                    fields: Mapping[str, object] | None = None) -> None:
    """Call every operation with bounded generated cases (valid and invalid), each with every
    token of ``tokens(path)`` (None: no token), and run all checks on each answer; path
    parameters named in ``ids`` are set to those real ids and top-level body members named in
    ``fields`` to those values, so requests get past 404."""
    for operation in operations:
        _fuzz(operation, ids, fields or {}, tokens(operation.path), examples)


def _fuzz(operation, ids: Mapping[str, str], fields: Mapping[str, object],
          callers: Sequence[str | None], examples: int) -> None:
    @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE)))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def no_server_error(case):
        if _generated_valid(case, ParameterLocation.PATH):
            for name in case.path_parameters or {}:
                case.path_parameters[name] = ids.get(name, case.path_parameters[name])
        if isinstance(case.body, dict) and _generated_valid(case, ParameterLocation.BODY):
            case.body.update({name: value for name, value in fields.items() if name in case.body})
        for token in callers:
            headers = bearer(token) if token else {}
            case.validate_response(case.call(headers=headers), headers=headers)

    no_server_error()


def _generated_valid(case, location: ParameterLocation) -> bool:
    """Whether ``location`` holds valid data: a real id put over an invalid one would make the
    request valid, and its acceptance look like a failure to reject invalid data."""
    component = case.meta.components.get(location) if case.meta else None
    return component is None or component.mode == GenerationMode.POSITIVE
