"""The scheduler process (``zi scheduler``): APScheduler calling the sweep, nothing else.

STACK.md: APScheduler 3. A job store cannot be shared between processes, so the scheduler
runs in its own process and web workers never start one; the in-memory store is enough
because the job only calls an idempotent sweep over rows in the database. Several replicas
are safe: on PostgreSQL the sweep takes an advisory lock, and its unique keys do the rest.

Schedule (Asia/Jakarta): once at start (catching up after downtime), then every hour at
minute 5, which includes 00:05 WIB, the first sweep of each Jakarta day. ``coalesce`` folds
missed runs into one and the misfire grace is hours (the default, 1 second, drops runs).
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from workflow.clock import JAKARTA, utcnow
from workflow.sweep import SweepReport, sweep

log = logging.getLogger(__name__)
JOB_ID = "duty_sweep"


def run_sweep(app: Flask) -> SweepReport:
    """The job: one sweep at the current instant, inside the app's context."""
    with app.app_context():
        report = sweep(utcnow())
    log.info("%s", report)
    return report


def build_scheduler(app: Flask) -> BlockingScheduler:
    grace = int(app.config["SCHEDULER_MISFIRE_GRACE_SECONDS"])
    options = {"coalesce": True, "misfire_grace_time": grace, "max_instances": 1}
    scheduler = BlockingScheduler(timezone=JAKARTA, job_defaults=options)
    scheduler.add_job(run_sweep, CronTrigger(minute=5, timezone=JAKARTA), args=[app],
                      id=JOB_ID, name="duty sweep", next_run_time=datetime.now(JAKARTA),
                      **options)
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
