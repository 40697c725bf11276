"""The scheduler process (``zi scheduler``): APScheduler calling the sweep, nothing else.

STACK.md: APScheduler 3. A job store cannot be shared between processes, so the scheduler
runs in its own process and web workers never start one; the in-memory store is enough
because the job only calls an idempotent sweep over rows in the database. Several replicas
are safe: on PostgreSQL the sweep takes an advisory lock, and its unique keys do the rest.

Schedule (Asia/Jakarta): once at start (catching up after downtime), then every hour at
minute 5, which includes 00:05 WIB, the first sweep of each Jakarta day. ``coalesce`` folds
missed runs into one and the misfire grace is hours (the default, 1 second, drops runs).
A sweep that fails (the database down) is logged in one line per outage and tried again
after ``SWEEP_RETRY_SECONDS``, not at the next hour.
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from workflow.clock import JAKARTA, utcnow
from workflow.metrics import SWEEP_FAILURES, SWEEP_LAST_DURATION, SWEEP_LAST_SUCCESS
from workflow.outage import OutageLog
from workflow.sweep import SweepReport, sweep

log = logging.getLogger(__name__)
JOB_ID = "duty_sweep"
RETRY_JOB_ID = "duty_sweep_retry"
OUTAGE = OutageLog(log, "duty sweep")


def run_sweep(app: Flask, scheduler: BaseScheduler | None = None) -> SweepReport | None:
    """The job: one sweep at the current instant, inside the app's context. On failure,
    with a ``scheduler``, one more try is set ``SWEEP_RETRY_SECONDS`` later."""
    retry = int(app.config["SWEEP_RETRY_SECONDS"])
    started = time.monotonic()
    try:
        with app.app_context():
            report = sweep(utcnow())
    except Exception as err:
        SWEEP_FAILURES.inc()
        if scheduler is None:
            raise
        OUTAGE.failed(err, retry)
        scheduler.add_job(run_sweep, "date", args=[app, scheduler], id=RETRY_JOB_ID,
                          name="duty sweep (retry)", replace_existing=True,
                          run_date=datetime.now(JAKARTA) + timedelta(seconds=retry))
        return None
    SWEEP_LAST_DURATION.set(time.monotonic() - started)
    SWEEP_LAST_SUCCESS.set_to_current_time()
    OUTAGE.succeeded()
    log.info("%s", report)
    return report


def build_scheduler(app: Flask) -> BlockingScheduler:
    grace = int(app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"])
    options = {"coalesce": True, "misfire_grace_time": grace, "max_instances": 1}
    scheduler = BlockingScheduler(timezone=JAKARTA, job_defaults=options)
    scheduler.add_job(run_sweep, CronTrigger(minute=5, timezone=JAKARTA),
                      args=[app, scheduler], id=JOB_ID, name="duty sweep",
                      next_run_time=datetime.now(JAKARTA), **options)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Block until SIGINT or SIGTERM; nothing is lost on stop (the next sweep catches up)."""
    scheduler = build_scheduler(app)

    def stop(*_: object) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler stopped")
