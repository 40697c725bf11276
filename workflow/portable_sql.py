"""Portable SQL: the per-row expressions the sweep needs, for SQLite and PostgreSQL.

Everything that is the same for every row (today, windows, cut-offs) is computed in Python
from the injected clock (``workflow.duty_calendar``); only dates derived from a row (a
designation or a return) are computed in SQL. Never ``now()`` in SQL: time-machine and the
``--now`` option move Python's clock, not the database's.

Asia/Jakarta has kept UTC+7 without daylight saving since 1964, which the SQLite form uses.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import JSON, Date, String, cast, literal, literal_column
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

_KEY = re.compile(r"[a-z_]+")
Expression = ColumnElement[Any] | QueryableAttribute[Any]


class jakarta_day(FunctionElement[Any]):  # noqa: N801 - reads as a SQL function
    """The Jakarta calendar date of a UTC timestamp column."""

    type = Date()
    inherit_cache = True
    name = "jakarta_day"


class plus_years(FunctionElement[Any]):  # noqa: N801
    """``day`` + ``years`` years; 29 February falls back to the 28th (as Python's add_years)."""

    type = Date()
    inherit_cache = True
    name = "plus_years"


class plus_days(FunctionElement[Any]):  # noqa: N801
    type = Date()
    inherit_cache = True
    name = "plus_days"


class json_object(FunctionElement[Any]):  # noqa: N801
    """A JSON object from alternating constant keys and values (``json_object(k, v, ...)``)."""

    type = JSON()
    inherit_cache = True
    name = "json_object"


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(jakarta_day)
@compiles(plus_years)
@compiles(plus_days)
@compiles(json_object)
def _unsupported(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"{element.name} is written for SQLite and PostgreSQL only")


@compiles(jakarta_day, "postgresql")
def _jakarta_day_pg(element: jakarta_day, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"CAST(({moment} AT TIME ZONE 'Asia/Jakarta') AS DATE)"


@compiles(jakarta_day, "sqlite")
def _jakarta_day_sqlite(element: jakarta_day, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"date({moment}, '+7 hours')"


@compiles(plus_years, "postgresql")
def _plus_years_pg(element: plus_years, compiler: SQLCompiler, **kw: Any) -> str:
    day, years = _args(element, compiler, **kw)
    return f"CAST({day} + make_interval(years => CAST({years} AS INTEGER)) AS DATE)"


@compiles(plus_years, "sqlite")
def _plus_years_sqlite(element: plus_years, compiler: SQLCompiler, **kw: Any) -> str:
    day, years = _args(element, compiler, **kw)
    shifted = f"date({day}, '+' || ({years}) || ' years')"
    # SQLite rolls 29 February over into 1 March; Python (and PostgreSQL) keep February.
    return (f"CASE WHEN strftime('%m', {day}) = '02' AND strftime('%m', {shifted}) = '03' "
            f"THEN date({shifted}, '-1 day') ELSE {shifted} END")


@compiles(plus_days, "postgresql")
def _plus_days_pg(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = _args(element, compiler, **kw)
    return f"CAST({day} + make_interval(days => CAST({days} AS INTEGER)) AS DATE)"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = _args(element, compiler, **kw)
    return f"date({day}, '+' || ({days}) || ' days')"


def _json_pairs(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return ", ".join(_args(element, compiler, **kw))


@compiles(json_object, "postgresql")
def _json_object_pg(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({_json_pairs(element, compiler, **kw)})"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({_json_pairs(element, compiler, **kw)})"


def written(name: str) -> ColumnElement[str]:
    """A plain name (``tpn``, ``tpi_return``) written into the statement as a text constant,
    not bound: a prepared statement's plan can tell it from another, and a statement run on
    the driver's cursor has no list to expand."""
    if not _KEY.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain name")
    return literal_column(f"'{name}'", String)


def build_json(**values: Expression) -> json_object:
    """``build_json(duty_id=Duty.id, ...)``: keys are inlined, values stay expressions."""
    arguments: list[Any] = []
    for key, value in values.items():
        arguments += [written(key), value]
    return json_object(*arguments)


def text_of(*parts: str | Expression) -> ColumnElement[Any]:
    """Concatenate constants and columns as SQL text (``'duty:' || duty.id || ...``)."""
    pieces: list[ColumnElement[Any]] = [
        cast(literal(part), String) if isinstance(part, str) else cast(part, String)
        for part in parts]
    result = pieces[0]
    for piece in pieces[1:]:
        result = result + piece
    return result
