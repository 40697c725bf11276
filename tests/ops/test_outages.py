"""While the database is down the dispatcher and the scheduler log one line per outage (not a
traceback per try), the sweep is tried again within SWEEP_RETRY_SECONDS, and
``zi dispatcher --once`` says why it retries."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from notifications import dispatcher
from notifications.settings import DeliverySettings
from tests.notifications.conftest import queue, reminder
from tests.ops.helpers import free_port
from tests.workflow.test_audit import run_cli
from workflow import scheduler
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.outage import OutageLog

DOWN = OperationalError("SELECT 1", {}, Exception('connection to server at "db" failed\nmore'))


def _lines(caplog: pytest.LogCaptureFixture, name: str) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == name]


def test_the_dispatcher_logs_an_outage_once_and_its_end_once(app, monkeypatch, caplog):
    calls, stop = [], threading.Event()

    def dispatch(settings, should_stop):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 6:
            stop.set()
        if len(calls) <= 4:
            raise DOWN
        return dispatcher.DispatchReport()

    monkeypatch.setattr(dispatcher, "dispatch_once", dispatch)
    with caplog.at_level(logging.DEBUG, logger="notifications.dispatcher"):
        dispatcher.run_forever(DeliverySettings(poll_seconds=0.001), stop)
    assert len(calls) == 6
    assert _lines(caplog, "notifications.dispatcher") == [
        ("ERROR", 'dispatcher failed: database unavailable: connection to server at "db" '
                  "failed; retrying every 0.001s"),
        ("WARNING", 'dispatcher works again (was: database unavailable: connection to server '
                    'at "db" failed)')]
    assert not any(r.exc_info for r in caplog.records)


def test_a_failed_sweep_is_retried_after_sweep_retry_seconds(app, world, monkeypatch, caplog):
    monkeypatch.setattr(scheduler, "OUTAGE", OutageLog(scheduler.log, "duty sweep"))
    monkeypatch.setitem(app.config, "SWEEP_RETRY_SECONDS", 240)
    real_sweep = scheduler.sweep

    def down(now):  # type: ignore[no-untyped-def]
        raise DOWN

    monkeypatch.setattr(scheduler, "sweep", down)
    jobs = scheduler.build_scheduler(app)
    start = datetime(2026, 3, 2, 10, 5, tzinfo=JAKARTA)
    with caplog.at_level(logging.INFO, logger="workflow.scheduler"), time_machine.travel(
            start, tick=False):
        assert scheduler.run_sweep(app, jobs) is None
        assert scheduler.run_sweep(app, jobs) is None
        retry = jobs.get_job(scheduler.RETRY_JOB_ID)
        assert retry is not None and retry.args == (app, jobs)
        assert retry.trigger.run_date == start + timedelta(seconds=240)
        monkeypatch.setattr(scheduler, "sweep", real_sweep)
        assert scheduler.run_sweep(app, jobs) is not None
    lines = _lines(caplog, "workflow.scheduler")
    assert [level for level, _ in lines] == ["ERROR", "WARNING", "INFO"]
    assert lines[0][1].startswith("duty sweep failed: database unavailable: ")
    assert lines[0][1].endswith("retrying every 240s")


def test_zi_dispatcher_once_says_why_it_retries(app, world, monkeypatch):
    queue(world.user_ids["coordinator"], "duty_reminder", reminder(1, world.unit.id, "Unit U1"))
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    result = run_cli(app, "dispatcher", "--once")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "retrying 1, failed 0, released 0, uncertain 0; why: 1x connect: "
        "ConnectionRefusedError: "
        "[Errno 111] Connection refused")


def test_a_pooled_connection_closed_underneath_is_replaced_without_a_pre_ping(app):
    """No pre-ping per transaction (issue 11): the pool's own checkout check replaces a
    connection the driver already knows is closed, so the next use does not fail."""
    engine = db.engine
    assert not engine.pool._pre_ping
    db.session.remove()
    engine.dispose()
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
    assert raw is not None
    raw.close()  # while pooled: the server went away, a proxy cut it, …
    with engine.connect() as conn:
        assert conn.execute(select(1)).scalar() == 1
        assert conn.connection.dbapi_connection is not raw
