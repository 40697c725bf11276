"""JSON columns are written by orjson (issue 11) as the same JSON the standard library
writes, refusing what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Text, cast, literal, select

from workflow import json_columns
from workflow.db import db

_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text() | st.integers(-1000, 1000), inner, max_size=4),
    max_leaves=20)


@given(_VALUES)
def test_the_same_json_as_the_standard_library(value):
    assert json.loads(json_columns.dumps(value)) == json.loads(json.dumps(value))
    assert json_columns.loads(json.dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [datetime(2026, 1, 1, tzinfo=UTC), {"at": datetime.now(UTC)},
                                   object()])
def test_what_the_standard_library_refuses_is_refused(value):
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_columns.dumps(value)


def test_the_database_receives_it(app):
    text = db.session.execute(
        select(cast(literal({"a": 1, "b": [1, 2]}, JSON), Text))).scalar_one()
    assert text == '{"a":1,"b":[1,2]}'  # the standard library would write '{"a": 1, ...'
    assert db.session.execute(select(literal({"é": "ü"}, JSON))).scalar_one() == {"é": "ü"}
