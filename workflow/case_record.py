"""The case as a transition holds it: plain values read in one locked Core statement.

Issue 11: loading the case, its unit, declaration and PortalRB fetch as ORM objects cost a
third of a transition's CPU. A transition only reads them, then writes its change with one
Core ``UPDATE … WHERE version =`` (:mod:`workflow.transition_writes`), so it reads
them as a row into these records: the same attribute names as the models, which is all the
guards, permissions and notices read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, select

from workflow.driver_statement import driver_statement
from workflow.models import Case, Declaration, PortalrbFetch, Unit, user_unit

# What a transition may change on the case row itself (the rubric pin: an older case pins
# its rubric on first use).
CHANGEABLE = ("state", "building_since", "designated_at", "revoked_at", "rubric_id",
              "rubric_sha256")


@dataclass(frozen=True, slots=True)
class UnitRecord:
    id: int
    instansi_id: int
    name: str
    eselon: int
    strategic_service: bool
    rb_implemented: bool
    large_resources: bool


@dataclass(frozen=True, slots=True)
class DeclarationRecord:
    staff_total: int
    pakta_signed: int
    head_signed: bool
    commitment_statement: str
    team: list[str]


@dataclass(slots=True)
class CaseRecord:
    """The locked case. ``fetched``: PortalRB fetched it (the rare case whose change notice
    and answer need the ORM object, :func:`workflow.cases.transition`)."""

    id: int
    unit_id: int
    target: str
    year: int
    regulation: str
    state: str
    version: int
    building_since: date | None
    designated_at: datetime | None
    revoked_at: datetime | None
    proposal: dict[str, Any] | None
    rubric_id: str | None
    rubric_sha256: str | None
    audit_seq: int
    audit_hash: str
    unit: UnitRecord
    declaration: DeclarationRecord | None
    fetched: bool
    _read: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._read = {name: getattr(self, name) for name in CHANGEABLE}

    def changes(self) -> dict[str, Any]:
        """The columns changed since the row was read."""
        return {name: getattr(self, name) for name in CHANGEABLE
                if getattr(self, name) != self._read[name]}


_CASE: Table = Case.__table__  # type: ignore[assignment]
_UNIT: Table = Unit.__table__  # type: ignore[assignment]
_DECLARATION: Table = Declaration.__table__  # type: ignore[assignment]
_FETCH: Table = PortalrbFetch.__table__  # type: ignore[assignment]
_CASE_COLUMNS = ("id", "unit_id", "target", "year", "regulation", "state", "version",
                 "building_since", "designated_at", "revoked_at", "proposal", "rubric_id",
                 "rubric_sha256", "audit_seq", "audit_hash")
_UNIT_COLUMNS = ("instansi_id", "name", "eselon", "strategic_service",
                 "rb_implemented", "large_resources")
_DECLARATION_COLUMNS = ("staff_total", "pakta_signed", "head_signed", "commitment_statement",
                        "team")


@dataclass(frozen=True, slots=True)
class Locked:
    """The locked case, whether the actor coordinates its unit, and the row it came from
    (with whatever columns the caller's statement added)."""

    case: CaseRecord
    coordinates: bool
    values: Mapping[Any, Any]


CASE_ID = _CASE.c.id


@cache
def statement() -> Select[Any]:
    """Built once per process, with bound parameters: the case locked, with its unit, its
    declaration, whether PortalRB fetched it and whether the actor coordinates the unit (a
    caller may add columns)."""
    coordinates = (select(user_unit.c.user_id)
                   .where(user_unit.c.user_id == bindparam("b_actor_id"),
                          user_unit.c.unit_id == _CASE.c.unit_id).exists())
    return (select(*(_CASE.c[name] for name in _CASE_COLUMNS),
                   *(_UNIT.c[name].label(f"unit_{name}") for name in _UNIT_COLUMNS),
                   _DECLARATION.c.case_id.label("declared"),
                   *(_DECLARATION.c[name].label(f"decl_{name}")
                     for name in _DECLARATION_COLUMNS),
                   _FETCH.c.case_id.label("fetched"), coordinates.label("coordinates"))
            .join(_UNIT, _UNIT.c.id == _CASE.c.unit_id)
            .outerjoin(_DECLARATION, _DECLARATION.c.case_id == _CASE.c.id)
            .outerjoin(_FETCH, _FETCH.c.case_id == _CASE.c.id)
            .where(_CASE.c.id == bindparam("b_case_id"))
            .with_for_update(of=_CASE))


def lock(connection: Connection, read: Select[Any], case_id: int, actor_id: int
         ) -> Locked | None:
    """The case row locked for this transaction (``SELECT … FOR UPDATE`` on PostgreSQL) by
    ``read`` (:func:`statement` or more) on the session's ``connection``; None: no such
    case."""
    values = driver_statement(read, connection.dialect).first(
        connection, {"b_case_id": case_id, "b_actor_id": actor_id})
    if values is None:
        return None
    unit = UnitRecord(values["unit_id"], *(values[f"unit_{name}"] for name in _UNIT_COLUMNS))
    declaration = None if values["declared"] is None else DeclarationRecord(
        *(values[f"decl_{name}"] for name in _DECLARATION_COLUMNS))
    case = CaseRecord(**{name: values[name] for name in _CASE_COLUMNS}, unit=unit,
                      declaration=declaration, fetched=values["fetched"] is not None)
    return Locked(case, bool(values["coordinates"]), values)
