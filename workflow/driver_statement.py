"""A hot statement compiled once and run on the driver's own cursor, inside SQLAlchemy's
connection and transaction.

Issue 11: for the two statements of a transition, SQLAlchemy's execution of an already
compiled, cached statement (its execution context, the session's connection lookup, result
metadata built from psycopg's description of each of the read's ~30 columns) cost more of
the service's CPU than the driver's own work: A/B runs in one process measured 12-27 % less
CPU per transition with the driver's cursor. What SQLAlchemy's execution guarantees is kept
here: the types' bind and result processing, the connection's ``before_cursor_execute`` /
``after_cursor_execute`` events (statement budgets, the EXPLAIN benchmark and any tracer see
the statement), echo, and errors wrapped as SQLAlchemy's (a lost connection invalidated, so
the outage answer and the pool work as for any statement).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class DriverStatement:
    """``statement`` compiled for ``dialect``: its SQL, its parameters' processing and its
    result columns' names and processing. Every parameter must be bound or a literal
    (no expanding ``IN``: write constant lists into the statement)."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("a driver statement cannot expand parameters at execution")
        self.sql = compiled.string
        self._defaults = {name: value for name, value in compiled.params.items()
                          if value is not None}
        self._required = frozenset(compiled.params) - self._defaults.keys()
        self._binds: dict[str, Processor] = {}
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._binds[name] = process
        # qmark drivers (sqlite3) take the parameters in order, named ones (psycopg) by name
        self._order = compiled.positiontup if compiled.positional else None
        columns = statement.selected_columns
        self.keys = tuple(str(column.key) for column in columns)
        self._results = tuple(
            (index, process) for index, column in enumerate(columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None)

    def first(self, connection: Connection, params: Mapping[str, Any]
              ) -> dict[str, Any] | None:
        """The first row as a dict by column key (None: no row)."""
        missing = self._required - params.keys()
        if missing:  # as SQLAlchemy: a parameter left out is an error, never a NULL
            raise InvalidRequestError(f"A value is required for bind parameter(s) "
                                      f"{', '.join(sorted(missing))}")
        values = {**self._defaults, **params}
        for name, process in self._binds.items():
            if name in values:
                values[name] = process(values[name])
        bound: Any = values if self._order is None else [values[name] for name in self._order]
        sql = self.sql
        cursor = None
        try:
            cursor = connection.connection.cursor()
            for listener in connection.dispatch.before_cursor_execute:
                sql, bound = listener(connection, cursor, sql, bound, None, False)
            if connection._echo:
                connection._log_info(sql)
            cursor.execute(sql, bound)
            for after in connection.dispatch.after_cursor_execute:
                after(connection, cursor, sql, bound, None, False)
            row = cursor.fetchone()
        except BaseException as error:
            connection._handle_dbapi_exception(error, sql, bound, cursor, None)
            raise  # never reached: the call above raises SQLAlchemy's error
        finally:
            if cursor is not None:
                cursor.close()
        if row is None:
            return None
        row = list(row)
        for index, process in self._results:
            row[index] = process(row[index])
        return dict(zip(self.keys, row, strict=True))


@lru_cache(maxsize=256)
def driver_statement(statement: Select[Any], dialect: Dialect) -> DriverStatement:
    """Compiled once per statement (built once per process by its caller) and dialect."""
    return DriverStatement(statement, dialect)
