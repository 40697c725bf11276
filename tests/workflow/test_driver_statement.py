"""A statement run on the driver's cursor (issue 11) answers as SQLAlchemy would: the same
values of the same types, seen by the connection's events, errors wrapped as SQLAlchemy's,
a lost connection invalidated."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, event, select
from sqlalchemy.exc import DBAPIError, InvalidRequestError

from tests.api.helpers import get_case, open_case, put_declaration
from workflow import case_record, cases
from workflow.db import db
from workflow.driver_statement import DriverStatement
from workflow.machine import SPECS
from workflow.models import Case, Unit, User


def _started(client: Any, world: Any) -> dict[str, Any]:
    """A case with a declaration (JSON, text), building since a date, in pembangunan."""
    case = open_case(client, world)
    assert put_declaration(client, world, case).status_code == 200
    version = get_case(client, world, case["id"])["version"]
    coordinator = db.session.get_one(User, world.user_ids["coordinator"])
    done = cases.fire_transition(coordinator, case["id"], "start_building", version)
    return {"id": done.id, "actor_id": coordinator.id}


def test_every_transition_read_gives_what_sqlalchemy_gives(client, world):
    case = _started(client, world)
    connection = db.session.connection()
    params = {"b_case_id": case["id"], "b_actor_id": case["actor_id"]}
    compared = 0
    for spec in SPECS.values():
        for role in ("coordinator", "inspectorate", "tpn", "admin"):
            read = cases._transition_read(spec, cases._sheets_read(spec, role))
            expected = dict(connection.execute(read, params).one()._mapping)
            got = DriverStatement(read, connection.dialect).first(connection, params)
            assert got == expected
            assert {k: type(v) for k, v in got.items()} == \
                {k: type(v) for k, v in expected.items()}
            compared += 1
    assert compared == 4 * len(SPECS)


def test_types_are_processed_both_ways(client, world):
    case = _started(client, world)
    table = Case.__table__
    unit = Unit.__table__
    read = (select(table.c.created_at, table.c.building_since, table.c.proposal,
                   unit.c.rb_implemented, bindparam("b_when", type_=table.c.created_at.type)
                   .label("when"))
            .join(unit, unit.c.id == table.c.unit_id).where(table.c.id == bindparam("b_id")))
    connection = db.session.connection()
    held = db.session.get_one(Case, case["id"])
    params = {"b_id": case["id"], "b_when": held.created_at}
    got = DriverStatement(read, connection.dialect).first(connection, params)
    expected = dict(connection.execute(read, params).one()._mapping)
    assert got == expected
    assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}
    # SQLite keeps dates and datetimes as text and booleans as integers: processed back
    assert got["created_at"] == got["when"] == held.created_at
    assert isinstance(got["building_since"], date) and got["building_since"] == held.building_since
    assert got["rb_implemented"] is True
    assert DriverStatement(read, connection.dialect).first(
        connection, {"b_id": -1, "b_when": held.created_at}) is None


def test_events_see_the_statement(client, world):
    case = _started(client, world)
    seen: list[tuple[str, str]] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(("before", statement))

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(("after", statement))

    connection = db.session.connection()
    statement = DriverStatement(case_record.statement(), connection.dialect)
    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        statement.first(connection, {"b_case_id": case["id"], "b_actor_id": 0})
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
    assert seen == [("before", statement.sql), ("after", statement.sql)]


def test_a_parameter_left_out_is_an_error_not_a_null(client, world):
    case = _started(client, world)
    connection = db.session.connection()
    statement = DriverStatement(case_record.statement(), connection.dialect)
    with pytest.raises(InvalidRequestError, match="b_actor_id"):
        statement.first(connection, {"b_case_id": case["id"]})


def test_a_list_to_expand_is_refused(app):
    table = Case.__table__
    with pytest.raises(ValueError, match="expand"):
        DriverStatement(select(table.c.id).where(table.c.state.in_(["a", "b"])),
                        db.engine.dialect)


def test_a_database_error_comes_as_sqlalchemys(app):
    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    connection = db.session.connection()
    statement = DriverStatement(select(missing.c.id), connection.dialect)
    with pytest.raises(DBAPIError) as raised:
        statement.first(connection, {})
    assert raised.value.statement == statement.sql
    assert not raised.value.connection_invalidated
    db.session.rollback()


def test_a_lost_connection_is_invalidated(client, world):
    case = _started(client, world)
    connection = db.session.connection()
    statement = DriverStatement(case_record.statement(), connection.dialect)
    connection.connection.driver_connection.close()
    with pytest.raises(DBAPIError) as raised:
        statement.first(connection, {"b_case_id": case["id"], "b_actor_id": 0})
    assert raised.value.connection_invalidated
    assert connection.invalidated
    db.session.rollback()
    # the pool hands out a new connection: the session works again
    assert db.session.get_one(Case, case["id"]).id == case["id"]
