"""A transition's writes: the case's change, its audit event and its notices, at once.

Every change of state is one transaction: the case row (state, version, chain head), its
audit event and its outbox messages commit together or not at all. On PostgreSQL they are
also one statement: the event's ``INSERT`` and the notices' ``INSERT … SELECT`` chained as
data-modifying CTEs on the case's ``UPDATE … WHERE version =``, so a lost race writes
nothing and a transition saves two round trips (issue 11). SQLite has no writes in CTEs:
there they are three statements in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, String, bindparam, cast, insert, literal, select

from workflow.audit import EVENT_COLUMNS, EVENT_TABLE, case_change, moved, transition_event
from workflow.case_record import CaseRecord
from workflow.driver_statement import driver_statement
from workflow.errors import StaleVersion
from workflow.models import User
from workflow.notices import OUTBOX_COLUMNS, OUTBOX_TABLE, audience_rows, notify, notify_params

_INSERT_EVENT = insert(EVENT_TABLE)


@dataclass(frozen=True)
class Notice:
    """Who is told of the transition (roles around the case's unit, less the actor) and
    what; its key is the audit event's."""

    roles: tuple[str, ...]
    template: str
    context: dict[str, Any]
    exclude_user_id: int | None = None


def write(connection: Connection, case: CaseRecord, actor: User, action: str,
          from_state: str | None, reason: str | None, occurred_at: datetime,
          score: dict[str, Any] | None, notice: Notice) -> int:
    """Write the transition the record holds; returns its audit event's id. The record
    moves to what was written (``StaleVersion`` if the case moved first). ``connection``:
    the session's, which holds the case's lock."""
    event, values = transition_event(case, actor, action, from_state, reason, occurred_at,
                                     score)
    names = tuple(sorted(values))
    change = {"b_id": case.id, "b_expected": case.version,
              **{f"b_{name}": value for name, value in values.items()}}
    if connection.dialect.name == "postgresql":
        statement = _at_once(names, frozenset(notice.roles), notice.exclude_user_id is not None)
        written = driver_statement(statement, connection.dialect).first(connection, {
            **change, **{f"e_{name}": event[name] for name in EVENT_COLUMNS},
            **notify_params(case.unit, notice.template, notice.context, occurred_at,
                            notice.exclude_user_id)})
        if written is None:
            raise StaleVersion(case.version)
        event_id = written["id"]
    else:
        if connection.execute(case_change(names), change).rowcount != 1:
            raise StaleVersion(case.version)
        inserted = connection.execute(_INSERT_EVENT, event)
        event_id = inserted.inserted_primary_key[0]  # type: ignore[index]
        notify(case.unit, notice.roles, notice.template, notice.context,
               key=f"audit_event:{event_id}", now=occurred_at,
               exclude_user_id=notice.exclude_user_id)
    moved(case, values)
    return int(event_id)


@lru_cache(maxsize=64)
def _at_once(names: tuple[str, ...], roles: frozenset[str], excluding: bool) -> Select[Any]:
    """The case's UPDATE, its event's INSERT and its notices' INSERT … SELECT as one
    statement, each following from the one before (built once per set of changed columns
    and audience)."""
    table = EVENT_TABLE
    changed = case_change(names).returning(literal(1).label("moved")).cte("changed")
    event = (insert(table).from_select(
        list(EVENT_COLUMNS),
        select(*(bindparam(f"e_{name}", type_=table.c[name].type) for name in EVENT_COLUMNS))
        .select_from(changed))
        .returning(table.c.id).cte("event"))
    statement = select(event.c.id)
    key = literal("audit_event:", String) + cast(event.c.id, String) + literal(":user:", String)
    rows = audience_rows(roles, excluding, key, after=event)
    if rows is not None:
        statement = statement.add_cte(
            insert(OUTBOX_TABLE).from_select(OUTBOX_COLUMNS, rows).cte("told"))
    return statement
