"""The scheduler process and the operators' ``zi sweep``: configuration, not wall-clock waits."""

from __future__ import annotations

from datetime import date, datetime, time

import time_machine
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from api.cli import main
from tests.api.helpers import REG_52
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.models import Case, Duty
from workflow.scheduler import JOB_ID, build_scheduler, run_sweep


def _building_case(world) -> None:
    db.session.add(Case(unit_id=world.unit.id, target="WBK", year=2026, regulation=REG_52,
                        state="pembangunan"))
    db.session.commit()


def test_the_scheduler_is_configured_for_jakarta_with_coalescing_and_hours_of_grace(app):
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert str(scheduler.timezone) == "Asia/Jakarta"
    [job] = scheduler.get_jobs()
    assert job.id == JOB_ID and job.func is run_sweep and job.args == (app, scheduler)
    assert job.coalesce is True and job.max_instances == 1
    assert job.misfire_grace_time >= 3600
    assert isinstance(job.trigger, CronTrigger)
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert fields["minute"] == "5" and fields["hour"] == "*"
    first = job.trigger.get_next_fire_time(None, datetime(2026, 3, 1, 23, 30, tzinfo=JAKARTA))
    assert first == datetime(2026, 3, 2, 0, 5, tzinfo=JAKARTA)
    assert not scheduler.running


def test_the_job_sweeps_at_the_current_instant_in_its_own_app_context(app, world):
    _building_case(world)
    with time_machine.travel(datetime.combine(date(2026, 1, 1), time(0, 5), JAKARTA),
                             tick=False):
        report = run_sweep(app)
    assert report.today == date(2026, 1, 1) and report.created_total == 3
    assert db.session.execute(select(func.count(Duty.id))).scalar_one() == 3


def test_zi_sweep_runs_one_sweep_at_the_given_instant(app, world):
    _building_case(world)
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["sweep", "--now", "2026-01-01T00:05:00+07:00"])
    assert result.exit_code == 0, result.output
    assert "Jakarta 2026-01-01" in result.output and "created 3" in result.output
    # without an offset the instant is read in WIB: 00:30 on 2 January is still 2 January
    result = runner.invoke(main, ["sweep", "--now", "2026-01-02T00:30"])
    assert "Jakarta 2026-01-02" in result.output and "created 0" in result.output
    result = runner.invoke(main, ["sweep", "--now", "yesterday"])
    assert result.exit_code != 0 and "ISO 8601" in result.output
