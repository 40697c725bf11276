"""A transition's writes (issue 11): the case row, its audit event and its notices, at once.

On PostgreSQL they are one statement (data-modifying CTEs chained on the case's UPDATE);
on SQLite three. Either way a lost race writes nothing, and an ORM copy of the case the
session holds is not left stale.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from tests.api.helpers import get_case, open_case, put_declaration
from workflow import case_record, cases, transition_writes
from workflow.clock import utcnow
from workflow.db import db
from workflow.errors import StaleVersion
from workflow.models import AuditEvent, Case, OutboxMessage, User


def _declared(client: Any, world: Any) -> dict[str, Any]:
    """A case ready to start building."""
    case = open_case(client, world)
    assert put_declaration(client, world, case).status_code == 200
    return dict(get_case(client, world, case["id"]))


def _counts(case_id: int) -> tuple[int, int]:
    events = db.session.execute(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.case_id == case_id)).scalar_one()
    notices = db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    return events, notices


def test_a_transition_writes_case_event_and_notices_in_one_statement_on_postgresql(
        client, world):
    case = _declared(client, world)
    coordinator = db.session.get_one(User, world.user_ids["coordinator"])
    events_before, notices_before = _counts(case["id"])
    written: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        written.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        done = cases.fire_transition(coordinator, case["id"], "start_building",
                                     case["version"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert done.state == "pembangunan" and done.version == case["version"] + 1
    postgres = db.engine.dialect.name == "postgresql"
    # the locked read, then the writes: one WITH … on PostgreSQL; UPDATE, INSERT, INSERT on
    # SQLite
    assert written == (["SELECT", "WITH"] if postgres else
                       ["SELECT", "UPDATE", "INSERT", "INSERT"]), written
    events_after, notices_after = _counts(case["id"])
    assert events_after == events_before + 1
    last = db.session.execute(select(AuditEvent).where(AuditEvent.case_id == case["id"])
                              .order_by(AuditEvent.seq.desc()).limit(1)).scalar_one()
    assert (last.action, last.case_version) == ("start_building", done.version)
    keys = db.session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.recipient_email)
                              .where(OutboxMessage.idempotency_key.like(
                                  f"audit_event:{last.id}:user:%"))).all()
    # start_building tells the unit's inspectorate (the two of the instansi)
    assert sorted(email for _, email in keys) == ["conflicted_inspectorate@uji.go.id",
                                                 "inspectorate@uji.go.id"]
    assert notices_after == notices_before + len(keys)


def test_a_lost_race_writes_nothing(client, world):
    case = _declared(client, world)
    coordinator = db.session.get_one(User, world.user_ids["coordinator"])
    locked = case_record.lock(db.session.connection(), case_record.statement(), case["id"],
                              coordinator.id)
    assert locked is not None
    record = locked.case
    record.state = "pembangunan"
    before = _counts(case["id"])
    # another writer moved the case after it was read (on SQLite nothing locks the row)
    db.session.execute(text("UPDATE zi_case SET version = version + 1 WHERE id = :id"),
                       {"id": case["id"]})
    with pytest.raises(StaleVersion):
        transition_writes.write(db.session.connection(), record, coordinator,
                                "start_building", "pencanangan", None, utcnow(), None,
                                transition_writes.Notice(("inspectorate",), "transition_notice",
                                                         {"case_id": case["id"]}))
    assert _counts(case["id"]) == before  # no event, no notice, in the same transaction
    assert db.session.get_one(Case, case["id"]).state == "pencanangan"
    db.session.rollback()


def test_a_case_the_session_holds_is_read_again_after_a_transition(client, world):
    case = _declared(client, world)
    coordinator = db.session.get_one(User, world.user_ids["coordinator"])
    held = db.session.get_one(Case, case["id"])
    assert held.state == "pencanangan"
    cases.fire_transition(coordinator, case["id"], "start_building", case["version"])
    assert (held.state, held.version) == ("pembangunan", case["version"] + 1)
    assert held.building_since is not None

