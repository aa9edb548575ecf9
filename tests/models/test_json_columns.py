"""JSON columns are read by orjson, and by ``json`` for what orjson refuses: every stored value
stays readable, as the same Python objects."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, Table, select, text

from gateway.db import json_loads, make_engine

PROBE = Table("json_probe", MetaData(), Column("id", Integer, primary_key=True),
              Column("value", JSON))
STORED = [
    '{"categories": ["clinical_notes", "risk"], "n": 3, "x": 1.5, "text": "王老师"}',
    '{"big": 123456789012345678901234567890}',  # beyond 64 bits: orjson makes it a float
]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    PROBE.create(engine)
    try:
        yield engine
    finally:
        PROBE.drop(engine)
        engine.dispose()


def test_stored_json_reads_as_json_would(engine):
    with engine.begin() as connection:
        for number, stored in enumerate(STORED):
            connection.execute(text("INSERT INTO json_probe (id, value) VALUES (:id, :value)"),
                               {"id": number, "value": stored})
        read = connection.scalars(select(PROBE.c.value).order_by(PROBE.c.id)).all()
    assert read == [json.loads(stored) for stored in STORED]
    assert read[1]["big"] == 123456789012345678901234567890


def test_what_orjson_reads_otherwise_is_read_by_json():
    assert json_loads(b'{"big": 18446744073709551616}') == {"big": 2**64}
    assert json_loads(b'[-9223372036854775809]') == [-(2**63) - 1]
    assert json_loads("[1e400]") == [math.inf]
    assert math.isnan(json_loads("[NaN]")[0])
    assert json_loads('["\\ud800"]') == ["\ud800"]  # a lone surrogate
