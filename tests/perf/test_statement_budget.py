"""Statements per request on the hot paths, counted on the database in use (issue 11).

A transition or a data write must cost a fixed handful of statements, whatever the size of
the worksheet, the number of users or the case's history: each budget below fails the
suite when a change adds a query (an N+1, a lazy load, a re-read after commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.api.helpers import (
    best_answer,
    fire,
    get_case,
    put_assessment,
    put_declaration,
)
from workflow.db import db

# Over HTTP: the token lookup, the work, and the answer. The floor of a durable transition
# is 5 (lock, previous hash, update, audit row, outbox row); the goal is at most 8 on
# average. Here the previous hash comes with the lock (the chain head is on the case row),
# and so do the sheets a decision relies on, whether they have summary rows, and for a
# submission the last return; on PostgreSQL the case's UPDATE, its audit row and its outbox
# rows are one statement (SQLite has no writes in CTEs: two more there). A return reads the
# flagged answers; designate here relies on a summary assessment (read, then marked relied
# on).
TRANSITION_BUDGET = {"start_building": 3, "submit_to_tpi": 3, "tpi_return": 4,
                     "tpi_approve": 3, "designate": 5}
SQLITE_WRITES = 2
# A whole worksheet (here 52/2014's) is written with executemany statements: its budget does
# not depend on the number of questions; it includes keeping the sheet's standing (one
# upsert) so a decision reads one row instead of the sheet. open_case stores the built-in
# rubric on first use.
WRITE_BUDGET = {"open_case": 18, "put_declaration": 11, "put_answers_self": 16,
                "put_answers_tpi": 14, "put_assessment_tpn": 14}


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split())[:120])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _within(name: str, statements: list[str], budget: int) -> None:
    assert len(statements) <= budget, (
        f"{name}: {len(statements)} statements, budget {budget}:\n" + "\n".join(statements))


def _transition(client: Any, world: Any, case: dict[str, Any], trigger: str, who: str,
                reason: str | None = None) -> dict[str, Any]:
    case = get_case(client, world, case["id"], who)
    with counted() as statements:
        response = fire(client, world, case, trigger, who, reason=reason)
    assert response.status_code == 200, response.json
    extra = 0 if db.engine.dialect.name == "postgresql" else SQLITE_WRITES
    _within(trigger, statements, TRANSITION_BUDGET[trigger] + extra)
    return dict(response.json)


def _write(name: str, call: Any) -> Any:
    with counted() as statements:
        response = call()
    assert response.status_code in (200, 201), response.json
    _within(name, statements, WRITE_BUDGET[name])
    return response.json


def _fill(client: Any, world: Any, case: dict[str, Any], kind: str, who: str) -> Any:
    """Every question answered in one PATCH (the sheet is read first, outside the count)."""
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/{kind}",
                       headers=world.auth(who)).json
    items = []
    for question in sheet["questions"]:
        entry = best_answer(question)
        if kind == "self" and question["evidence_required"]:
            entry["evidence_links"] = [f"https://bukti.example.go.id/{question['id']}.pdf"]
        items.append(entry)
    return lambda: client.patch(
        f"/api/v1/cases/{case['id']}/assessments/{kind}/items",
        json={"expected_version": sheet["case_version"], "items": items},
        headers=world.auth(who))


@pytest.mark.parametrize("fill_twice", [False, True])
def test_a_lifecycle_stays_within_its_statement_budgets(client, world, fill_twice):
    """Every step of a lifecycle with a return, on full worksheets; answering the sheet a
    second time (nothing changes: no revision) costs no more than the first time."""
    case = _write("open_case", lambda: client.post(
        f"/api/v1/units/{world.unit.id}/cases",
        json={"target": "WBK", "year": 2026, "regulation": "permenpanrb-52-2014"},
        headers=world.auth("coordinator")))
    _write("put_declaration", lambda: put_declaration(client, world, case))
    case = _transition(client, world, case, "start_building", "coordinator")
    for _ in range(2 if fill_twice else 1):
        case = _write("put_answers_self", _fill(client, world, case, "self", "coordinator"))
    case = _transition(client, world, case, "submit_to_tpi", "coordinator")
    case = _transition(client, world, case, "tpi_return", "inspectorate", reason="Perbaiki")
    case = _transition(client, world, case, "submit_to_tpi", "coordinator")
    case = _write("put_answers_tpi", _fill(client, world, case, "tpi", "inspectorate"))
    case = _transition(client, world, case, "tpi_approve", "inspectorate")
    _write("put_assessment_tpn", lambda: put_assessment(client, world, case, "tpn", "tpn"))
    case = _transition(client, world, case, "designate", "tpn")
    assert case["state"] == "penetapan"


def test_the_counter_sees_every_statement(app):
    """A budget is only as good as its counter: three statements are counted as three."""
    with counted() as statements:
        for _ in range(3):
            db.session.execute(db.select(db.func.count()).select_from(
                db.metadata.tables["unit"]))
    assert len(statements) == 3
