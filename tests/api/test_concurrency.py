"""Concurrent requests on one case: exactly one wins (DOMAIN.md, STACK.md: the database
decides, through the row lock on PostgreSQL and the version column everywhere)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from tests.api.helpers import get_case, open_case, put_declaration
from workflow.db import db
from workflow.models import AuditEvent, OutboxMessage

THREADS = 20


def test_twenty_threads_fire_one_trigger_exactly_one_wins(app, client, world):
    case = open_case(client, world)
    put_declaration(client, world, case)
    case = get_case(client, world, case["id"])
    db.session.remove()
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def attempt() -> None:
        with app.app_context():
            own_client = app.test_client()
            barrier.wait()
            response = own_client.post(
                f"/api/v1/cases/{case['id']}/transitions",
                json={"trigger": "start_building", "expected_version": case["version"]},
                headers=world.auth("coordinator"))
            with lock:
                results.append((response.status_code, (response.json or {}).get("code")))
            db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(status for status, _ in results) == {200: 1, 409: THREADS - 1}
    assert {code for status, code in results if status == 409} == {"stale_version"}
    events = db.session.execute(select(func.count(AuditEvent.id)).where(
        AuditEvent.case_id == case["id"], AuditEvent.action == "start_building")).scalar()
    assert events == 1
    notices = db.session.execute(select(OutboxMessage.recipient_email)).scalars().all()
    assert sorted(notices) == ["conflicted_inspectorate@uji.go.id", "inspectorate@uji.go.id"]
