"""The ``zi dispatcher`` command as operators run it: separate processes on the same database.

These tests commit real data and start real processes; on PostgreSQL the three dispatchers
race through ``FOR UPDATE SKIP LOCKED``, on SQLite through its single writer lock.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from tests.notifications.conftest import Mailbox, queue, reminder
from workflow.db import db
from workflow.models import OutboxAttempt, OutboxMessage

MESSAGES = 60


def _zi() -> list[str]:
    script = Path(sys.executable).with_name("zi")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from api.cli import main; main()"]


def _env(database_url: str, port: int, instance: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "ZI_INSTANCE_PATH": str(instance),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TIMEOUT": "10",
            "MAIL_FROM": "ZI Workflow <noreply@zi.test>",
            "ZI_PUBLIC_BASE_URL": "http://zi.test", **extra}


def _wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_three_dispatchers_at_once_send_every_message_exactly_once(
        world, mailbox: tuple[Mailbox, int], database_url, tmp_path):
    smtp, port = mailbox
    smtp.gate = 3
    people = [world.user_ids[who] for who in ("coordinator", "other_coordinator", "tpn")]
    for n in range(MESSAGES):
        queue(people[n % 3], "duty_reminder", reminder(n, world.unit.id, "Unit U1"))
    db.session.remove()
    env = _env(database_url, port, tmp_path, ZI_OUTBOX_BATCH_SIZE="4", SMTP_TIMEOUT="40",
               ZI_OUTBOX_LEASE_SECONDS="120")

    processes = [subprocess.Popen([*_zi(), "dispatcher", "--once"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(3)]
    outputs = [process.communicate(timeout=120) for process in processes]

    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    sent_per_process = [int(re.search(r"sent (\d+)", out).group(1))  # type: ignore[union-attr]
                        for out, _ in outputs]
    assert sum(sent_per_process) == MESSAGES
    assert all(sent_per_process), sent_per_process  # the gate made all three take part
    counts = Counter(str(mail.message["Message-ID"]) for mail in smtp.received)
    assert len(counts) == MESSAGES and set(counts.values()) == {1}
    assert len(smtp.tried) == MESSAGES  # no second DATA for any message
    statuses = db.session.execute(select(OutboxMessage.status, func.count())
                                  .group_by(OutboxMessage.status)).all()
    assert dict(statuses) == {"sent": MESSAGES}
    assert db.session.execute(select(func.count(OutboxAttempt.id))).scalar() == MESSAGES
    ids = set(db.session.execute(select(OutboxMessage.rfc_message_id)).scalars())
    assert ids == set(counts)


def test_the_dispatcher_loop_polls_and_stops_gracefully_on_sigterm(
        world, mailbox: tuple[Mailbox, int], database_url, tmp_path):
    smtp, port = mailbox
    queue(world.user_ids["coordinator"], "duty_reminder", reminder(1, world.unit.id, "Unit U1"))
    env = _env(database_url, port, tmp_path, ZI_DISPATCHER_POLL_SECONDS="0.2")
    process = subprocess.Popen([*_zi(), "dispatcher"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: len(smtp.received) == 1)
        queue(world.user_ids["coordinator"], "duty_reminder",
              reminder(2, world.unit.id, "Unit U1"))
        db.session.remove()
        _wait_for(lambda: len(smtp.received) == 2)  # picked up by a later poll
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert out.rstrip().endswith("dispatcher: stopped")
    assert sum(int(n) for n in re.findall(r"sent (\d+)", out)) == 2
