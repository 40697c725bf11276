"""The dispatcher's pipeline (issue 11): the SMTP conversation of one chunk overlaps the
database work of the chunks around it, and a chunk costs a few statements and one commit,
whatever its size; exactly once still holds (``test_exactly_once``)."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import create_engine, event, func, select

from notifications.dispatcher import CHUNK, dispatch_once
from tests.notifications.conftest import queue, reminder
from workflow.db import db
from workflow.models import OutboxAttempt, OutboxMessage


def _queue(world, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    return [queue(world.user_ids["coordinator"], "duty_reminder",
                  reminder(n, world.unit.id, "Unit U1")) for n in range(count)]


def test_the_next_chunk_is_started_while_the_line_sends_this_one(world, smtp, delivery):
    """While the server holds the first chunk's last message, the second chunk's ``started``
    attempts are already committed: the database work does not wait for the conversation."""
    ids = _queue(world, 2 * CHUNK)  # one claim: OUTBOX_BATCH_SIZE is 50
    second = ids[CHUNK:]
    probe = create_engine(db.engine.url)
    seen: list[int] = []

    def at_the_first_chunks_last_message() -> None:
        if len(smtp.received) != CHUNK:
            return
        # less than the dispatcher's SMTP timeout (5 s), which would end the conversation
        started, deadline = 0, time.monotonic() + 3
        while started < CHUNK and time.monotonic() < deadline:
            with probe.connect() as conn:
                started = conn.execute(select(func.count(OutboxAttempt.id)).where(
                    OutboxAttempt.message_id.in_(second),
                    OutboxAttempt.outcome == "started")).scalar_one()
            time.sleep(0.02)
        seen.append(started)

    smtp.on_accept = at_the_first_chunks_last_message
    try:
        report = dispatch_once(delivery)
    finally:
        probe.dispose()
    assert seen == [CHUNK]
    assert (report.claimed, report.sent, report.released) == (2 * CHUNK, 2 * CHUNK, 0)
    assert sorted(str(r.message["Message-ID"]) for r in smtp.received) == sorted(
        db.session.execute(select(OutboxMessage.rfc_message_id)).scalars())
    assert db.session.execute(select(OutboxAttempt.outcome, func.count())
                              .group_by(OutboxAttempt.outcome)).all() == [("sent", 2 * CHUNK)]


def test_a_chunk_costs_a_few_statements_and_one_commit(world, smtp, delivery):
    """Three chunks in one claim: the claim writes three statements, then each chunk one to
    start it and two to record it (sends that end alike are one ``UPDATE``), and it commits
    once, with the next chunk's start."""
    _queue(world, 3 * CHUNK)
    statements: list[str] = []
    commits: list[int] = []

    def count(_conn, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split())[:100])

    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    try:
        report = dispatch_once(dataclasses.replace(delivery, batch_size=3 * CHUNK))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert report.sent == 3 * CHUNK and len(smtp.received) == 3 * CHUNK
    writes = [s for s in statements if not s.startswith("SELECT")]
    assert len(writes) <= 3 + 3 * 3, "\n".join(writes)
    # reads: the claim's, three more finding nothing as the pipeline drains, the digests'
    assert len(statements) <= len(writes) + 5, "\n".join(statements)
    assert len(commits) <= 1 + 3 + 2, len(commits)  # the claim, each chunk, the drain
