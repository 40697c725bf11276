"""Names written into statements (roles, actions, JSON keys) are plain names only."""

from __future__ import annotations

import pytest
from sqlalchemy import column, select

from workflow.portable_sql import build_json, written


def test_a_plain_name_is_written_as_a_constant():
    assert str(select(written("tpi_return"))) == "SELECT 'tpi_return'"


@pytest.mark.parametrize("name", ["o'clock", "tpn' OR '1'='1", "Role", "a-b", ""])
def test_anything_else_is_refused(name):
    with pytest.raises(ValueError, match="plain name"):
        written(name)
    with pytest.raises(ValueError, match="plain name"):
        build_json(**{name: column("x")})
