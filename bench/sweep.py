"""The year-end duty sweep of ``size.units`` units against raw ``INSERT … SELECT`` of the same rows.

Each unit has a coordinator and one case: nine in ten are building (pembangunan), one in ten
holds its predicate since March 2025. On 20 December 2026 (WIB) the service's
``workflow.sweep.sweep`` creates every unit's year-end report, a maintenance check and a
monitoring report per held predicate, and queues the 14-day reminders of the duties due on
31 December to the coordinators. Then:
- ``sweep_vs_insert_select``: the time of raw psycopg ``INSERT … SELECT`` statements writing the
  same rows into the emptied tables (compared row by row), divided by the service's first
  sweep (the service may take at most 1/0.7 of the floor's time);
- ``second_sweep_vs_first``: a second sweep the same day, which finds nothing to do, against
  the first. Nothing it reads changed since the first, so it stops after reading the first's
  mark and a fingerprint of its inputs (``workflow.sweep``). Between the two the new rows are
  vacuumed and analysed, as autovacuum does within a minute of the first sweep's inserts.

Each side runs ``ROUNDS`` times on emptied tables and the best time of each counts, so that a
load spike or a checkpoint during one run does not decide the ratio.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from sqlalchemy import insert, text

from bench.harness import Result, Size, migrated_app, raw_dsn

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)  # Jakarta 20 Dec: 14-day reminders of 31 Dec
DESIGNATED = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
BUILDING_SINCE = date(2026, 2, 2)
HELD_EVERY = 10  # one unit in ten holds its predicate
QUARTER_START = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 1 Oct 2026 00:00 WIB
ROUNDS = 2  # each side runs twice on emptied tables; the best of each counts
EMPTY = "TRUNCATE outbox_message, duty, sweep_mark RESTART IDENTITY CASCADE"

# The floor: what the sweep writes in this population, written knowing it beforehand.
FLOOR = (
    """INSERT INTO duty (kind, unit_id, case_id, subject, period, due_date, state, created_at)
       SELECT 'year_end_report', u.id, NULL, 'unit:' || u.id, '2026', DATE '2026-12-31',
              'open', %(now)s
       FROM unit u WHERE EXISTS (SELECT 1 FROM zi_case c WHERE c.unit_id = u.id
                                 AND c.state NOT IN ('dicabut', 'ditarik'))""",
    """INSERT INTO duty (kind, unit_id, case_id, subject, period, due_date, state, created_at)
       SELECT 'maintenance_check', c.unit_id, c.id, 'case:' || c.id, '2026-Q4',
              DATE '2026-12-31', 'open', %(now)s
       FROM zi_case c WHERE c.state = 'penetapan' AND c.designated_at < %(quarter)s""",
    """INSERT INTO duty (kind, unit_id, case_id, subject, period, due_date, state, created_at)
       SELECT 'tpi_monitoring_report', c.unit_id, c.id, 'case:' || c.id, 'cycle:1',
              DATE '2027-03-01', 'open', %(now)s
       FROM zi_case c WHERE c.state = 'penetapan'""",
    """INSERT INTO outbox_message (idempotency_key, recipient_user_id, recipient_email,
           language, template, context, status, attempts, next_attempt_at, created_at)
       SELECT 'duty:' || d.id || ':reminder:14:user:' || p.id, p.id, p.email, p.language,
              'duty_reminder',
              json_build_object('duty_id', d.id, 'kind', d.kind, 'period', d.period,
                                'unit_id', d.unit_id, 'unit_name', u.name,
                                'due_date', d.due_date, 'offset_days', 14,
                                'link', '/api/v1/duties/' || d.id),
              'pending', 0, %(now)s, %(now)s
       FROM duty d JOIN unit u ON u.id = d.unit_id
       JOIN user_unit uu ON uu.unit_id = d.unit_id
       JOIN app_user p ON p.id = uu.user_id AND p.role = 'coordinator' AND p.active
       WHERE d.state = 'open' AND d.due_date BETWEEN DATE '2026-12-28' AND DATE '2027-01-03'""",
)
# What is compared between the two runs: every duty, and every message by its duty.
DUTY_ROWS = "SELECT kind, unit_id, case_id, subject, period, due_date, state FROM duty"
MESSAGE_ROWS = """SELECT d.subject, d.kind, d.period, o.recipient_user_id, o.recipient_email,
    o.language, o.template, o.status, regexp_replace(o.idempotency_key, '^duty:[0-9]+:', ''),
    o.context::jsonb - 'duty_id' - 'link'
    FROM outbox_message o JOIN duty d ON d.id = (o.context ->> 'duty_id')::bigint"""


def populate(units: int) -> None:
    """``units`` units, each with a coordinator and a case (bulk inserts)."""
    from workflow.db import db
    from workflow.models import Case, Instansi, Unit, User, user_unit

    db.session.execute(insert(Instansi), [{"id": 1, "name": "Bench", "kind": "kementerian",
                                           "created_at": NOW}])
    for first in range(1, units + 1, 10_000):
        rows = range(first, min(first + 10_000, units + 1))
        db.session.execute(insert(Unit), [
            {"id": i, "instansi_id": 1, "name": f"Unit {i}", "code": f"U{i}", "eselon": 3,
             "strategic_service": True, "rb_implemented": True, "large_resources": True,
             "created_at": NOW} for i in rows])
        db.session.execute(insert(User), [
            {"id": i, "email": f"c{i}@bench.go.id", "name": "", "role": "coordinator",
             "instansi_id": 1, "language": "id", "daily_digest": False, "active": True,
             "created_at": NOW} for i in rows])
        db.session.execute(insert(user_unit), [{"user_id": i, "unit_id": i} for i in rows])
        db.session.execute(insert(Case), [
            {"id": i, "unit_id": i, "target": "WBK", "year": 2026,
             "regulation": "permenpanrb-90-2021",
             "state": "penetapan" if i % HELD_EVERY == 0 else "pembangunan", "version": 2,
             "building_since": BUILDING_SINCE,
             "designated_at": DESIGNATED if i % HELD_EVERY == 0 else None,
             "created_at": NOW} for i in rows])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _service_round(url: str) -> tuple[float, float, Any]:
    """(first sweep s, second sweep s, first report) on emptied duty and outbox tables."""
    from workflow.db import db
    from workflow.sweep import sweep

    with psycopg.connect(raw_dsn(url), autocommit=True) as conn:
        conn.execute(EMPTY)
    started = time.perf_counter()
    first = sweep(NOW)
    first_seconds = time.perf_counter() - started
    with psycopg.connect(raw_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) duty, outbox_message")
    started = time.perf_counter()
    second = sweep(NOW)
    second_seconds = time.perf_counter() - started
    db.session.remove()
    if second.created_total or second.queued_total or not first.queued_total \
            or not second.unchanged:
        raise RuntimeError(f"unexpected sweeps: {first}; {second}")
    return first_seconds, second_seconds, first


def _floor_round(url: str, compare: bool) -> float:
    """Seconds of the floor's statements on emptied tables; with ``compare``, first keeps
    the service's rows aside and afterwards checks the floor wrote the very same."""
    with psycopg.connect(raw_dsn(url)) as conn:
        if compare:
            conn.execute(f"CREATE TABLE service_duty AS {DUTY_ROWS}")
            conn.execute(f"CREATE TABLE service_message AS {MESSAGE_ROWS}")
        conn.execute(EMPTY)
        conn.commit()
        started = time.perf_counter()
        for statement in FLOOR:
            conn.execute(statement, {"now": NOW, "quarter": QUARTER_START})
        conn.commit()
        seconds = time.perf_counter() - started
        for mine, theirs in ((DUTY_ROWS, "service_duty"), (MESSAGE_ROWS, "service_message")):
            if not compare:
                break
            differ = conn.execute(f"SELECT count(*) FROM (({mine}) EXCEPT ALL SELECT * FROM "
                                  f"{theirs}) a").fetchone()[0]  # type: ignore[index]
            missing = conn.execute(f"SELECT count(*) FROM (SELECT * FROM {theirs} EXCEPT ALL "
                                   f"({mine})) a").fetchone()[0]  # type: ignore[index]
            if differ or missing:
                raise RuntimeError(f"the floor wrote other rows than the sweep ({theirs}: "
                                   f"{differ} extra, {missing} missing)")
    return seconds


def run(url: str, size: Size) -> list[Result]:
    from workflow.db import db

    firsts, seconds, floors = [], [], []
    app = migrated_app(url)
    with app.app_context():
        populate(size.units)
        for round_ in range(ROUNDS):
            first_seconds, second_seconds, first = _service_round(url)
            firsts.append(first_seconds)
            seconds.append(second_seconds)
            floors.append(_floor_round(url, compare=round_ == 0))
        db.engine.dispose()
    first_seconds, second_seconds, floor_seconds = min(firsts), min(seconds), min(floors)
    rows = first.created_total + first.queued_total
    return [
        Result("sweep_vs_insert_select", floor_seconds / first_seconds, 0.7, "higher",
               f"sweep {first_seconds:.2f} s, INSERT … SELECT {floor_seconds:.2f} s, "
               f"{size.units} units, {rows} rows, best of {ROUNDS}"),
        Result("second_sweep_vs_first", second_seconds / first_seconds, 0.1, "lower",
               f"second sweep {second_seconds:.3f} s, best of {ROUNDS}"),
    ]
