"""Who is told about a change, written to the outbox in the change's own transaction.

Rendering and delivery are the notifications package's job; here we only decide the
recipients, the template and its context, and a key that makes a second write impossible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    String,
    Subquery,
    Table,
    bindparam,
    cast,
    insert,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from workflow.case_record import UnitRecord
from workflow.db import db
from workflow.models import OutboxMessage, Unit, User, user_unit
from workflow.portable_sql import written

# DOMAIN.md: the inspectorate learns a unit was submitted; the unit learns it was returned
# (with the reason) or designated; TPN learns a proposal awaits review.
TRANSITION_AUDIENCE: dict[str, tuple[str, ...]] = {
    "start_building": ("inspectorate",),
    "submit_to_tpi": ("inspectorate",),
    "tpi_approve": ("coordinator", "tpn"),
    "tpi_return": ("coordinator",),
    "designate": ("coordinator", "inspectorate"),
    "tpn_return": ("coordinator", "inspectorate"),
    "revoke": ("coordinator", "inspectorate"),
    "withdraw": ("coordinator", "inspectorate"),
}


def _audience_query(unit: Unit, roles: Iterable[str]) -> Select[User] | None:
    """Active users of the given roles concerned by a unit; every part is an index lookup
    (a user has one role, so the parts never overlap)."""
    wanted = set(roles)
    active = User.active.is_(True)
    parts: list[Select[User]] = []
    if "coordinator" in wanted:
        parts.append(select(User).join(user_unit, user_unit.c.user_id == User.id)
                     .where(user_unit.c.unit_id == unit.id, User.role == "coordinator", active))
    if "inspectorate" in wanted:
        parts.append(select(User).where(User.role == "inspectorate",
                                        User.instansi_id == unit.instansi_id, active))
    if "tpn" in wanted:
        parts.append(select(User).where(User.role == "tpn", active))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def audience(unit: Unit, roles: Iterable[str]) -> list[User]:
    """Active users of the given roles concerned by a unit, in one query."""
    query = _audience_query(unit, roles)
    if query is None:
        return []
    users: list[User] = list(db.session.execute(select(User).from_statement(query)).scalars())
    return sorted(users, key=lambda user: user.id)


OUTBOX_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
OUTBOX_COLUMNS = ["idempotency_key", "recipient_user_id", "recipient_email", "language",
                   "template", "context", "status", "attempts", "next_attempt_at", "created_at"]


@lru_cache(maxsize=32)
def _notify_statement(roles: frozenset[str], excluding: bool) -> Insert | None:
    """The outbox ``INSERT … SELECT`` of :func:`notify` for a set of roles, built once per
    process with bound parameters (building it cost more than running it, issue 11)."""
    rows = audience_rows(roles, excluding, bindparam("b_key", type_=String))
    return None if rows is None else insert(OUTBOX_TABLE).from_select(OUTBOX_COLUMNS, rows)


def audience_rows(roles: frozenset[str], excluding: bool, key: ColumnElement[str],
                  after: FromClause | None = None) -> Select[Any] | None:
    """The outbox rows of a notice, one per user of the audience (:data:`OUTBOX_COLUMNS`,
    the unit and the rest as the bound parameters of :func:`notify_params`); ``key``: the
    idempotency key before the user's id; ``after``: a one-row part of the statement the
    rows follow from (what ``key`` reads)."""
    users = _audience_query_params(roles)
    if users is None:
        return None
    chosen = select(
        key + cast(users.c.id, String),
        users.c.id, users.c.email, users.c.language, bindparam("b_template", type_=String),
        bindparam("b_context", type_=OUTBOX_TABLE.c.context.type), literal("pending", String),
        literal(0), bindparam("b_now", type_=OUTBOX_TABLE.c.next_attempt_at.type),
        bindparam("b_created", type_=OUTBOX_TABLE.c.created_at.type),
    ).order_by(users.c.id)
    if after is not None:
        chosen = chosen.select_from(after.join(users, true()))
    if excluding:
        chosen = chosen.where(users.c.id != bindparam("b_exclude"))
    return chosen


def _audience_query_params(roles: frozenset[str]) -> Subquery | None:
    """As :func:`_audience_query` on Core columns, with the unit as bound parameters and the
    roles written in the statement: PostgreSQL plans a prepared statement once for all
    units, and a role bound as a parameter made that generic plan look dearer than planning
    each time (it could not tell ``tpn`` from ``coordinator``), so it did plan each time."""
    users: Table = User.__table__  # type: ignore[assignment]
    links = user_unit
    columns = (users.c.id, users.c.email, users.c.language)
    active = users.c.active.is_(True)

    def role(name: str) -> ColumnElement[bool]:
        return users.c.role == written(name)

    parts: list[Select[Any]] = []
    if "coordinator" in roles:
        parts.append(select(*columns).join(links, links.c.user_id == users.c.id)
                     .where(links.c.unit_id == bindparam("b_unit_id"),
                            role("coordinator"), active))
    if "inspectorate" in roles:
        parts.append(select(*columns).where(
            role("inspectorate"), users.c.instansi_id == bindparam("b_instansi_id"),
            active))
    if "tpn" in roles:
        parts.append(select(*columns).where(role("tpn"), active))
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def notify(unit: Unit | UnitRecord, roles: Iterable[str], template: str,
           context: dict[str, Any], key: str, now: datetime,
           exclude_user_id: int | None = None) -> None:
    """:func:`enqueue` to the :func:`audience`, in one ``INSERT … SELECT``: no user row is
    brought into Python on a transition (issue 11)."""
    statement = _notify_statement(frozenset(roles), exclude_user_id is not None)
    if statement is None:
        return
    db.session.flush()  # what the session holds first (nothing, on a transition)
    db.session.connection().execute(statement, {
        "b_key": f"{key}:user:",
        **notify_params(unit, template, context, now, exclude_user_id)})


def notify_params(unit: Unit | UnitRecord, template: str, context: dict[str, Any],
                  now: datetime, exclude_user_id: int | None) -> dict[str, Any]:
    """The bound parameters of :func:`audience_rows` but the key."""
    return {"b_template": template, "b_context": context, "b_now": now, "b_created": now,
            "b_unit_id": unit.id, "b_instansi_id": unit.instansi_id,
            "b_exclude": exclude_user_id}


def enqueue(users: Iterable[User], template: str, context: dict[str, Any], key: str) -> None:
    """One outbox row per user; ``key`` identifies the occasion (e.g. an audit event)."""
    for user in users:
        db.session.add(OutboxMessage(
            idempotency_key=f"{key}:user:{user.id}",
            recipient_user_id=user.id,
            recipient_email=user.email,
            language=user.language,
            template=template,
            context=context,
        ))
