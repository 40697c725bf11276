"""The instansi dashboard over ``size.cases`` cases against the same aggregate queries in psycopg.

Instansi 1 has ``size.cases`` units with one case each (in every state) and their duties
(a year-end report each, one in five units also an overdue budget duty); instansi 2 a tenth
as many, so that every figure has to filter. The service's
``workflow.dashboard.instansi_dashboard`` for instansi 1's inspectorate and the raw queries
(the instansi, units counted, cases and open/overdue duties grouped, the next ten deadlines)
run alternately, each call in its own transaction; the measure is the ratio of their p99s.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime

import psycopg
from sqlalchemy import insert, text

from bench.harness import Result, Size, migrated_app, raw_dsn

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)
STATES = ("pencanangan", "pembangunan", "pengusulan", "reviu_tpn", "penetapan", "ditarik")
CALLS = 200
WARM_UP = 5
INSPECTORATE = 1
RAW = (
    "SELECT id, name, kind, created_at FROM instansi WHERE id = %(i)s",
    "SELECT count(id) FROM unit WHERE instansi_id = %(i)s",
    """SELECT c.state, c.target, count(c.id) FROM zi_case c JOIN unit u ON u.id = c.unit_id
       WHERE u.instansi_id = %(i)s GROUP BY c.state, c.target ORDER BY c.state, c.target""",
    """SELECT d.kind, d.state, count(d.id) FROM duty d JOIN unit u ON u.id = d.unit_id
       WHERE u.instansi_id = %(i)s AND d.state IN ('open', 'overdue')
       GROUP BY d.kind, d.state""",
    """SELECT d.id, d.kind, d.unit_id, d.period, d.due_date, d.state, u.name
       FROM duty d JOIN unit u ON u.id = d.unit_id
       WHERE u.instansi_id = %(i)s AND d.state = 'open'
       ORDER BY d.due_date, d.id LIMIT 10""",
)


def populate(cases: int) -> None:
    from workflow.db import db
    from workflow.models import Case, Duty, Instansi, Unit, User

    db.session.execute(insert(Instansi), [
        {"id": i, "name": f"Instansi {i}", "kind": "kementerian", "created_at": NOW}
        for i in (1, 2)])
    db.session.execute(insert(User), [
        {"id": INSPECTORATE, "email": "tpi@bench.go.id", "name": "", "role": "inspectorate",
         "instansi_id": 1, "language": "id", "daily_digest": False, "active": True,
         "created_at": NOW}])
    total = cases + cases // 10
    for first in range(1, total + 1, 10_000):
        rows = range(first, min(first + 10_000, total + 1))
        db.session.execute(insert(Unit), [
            {"id": i, "instansi_id": 1 if i <= cases else 2, "name": f"Unit {i}",
             "code": f"U{i}", "eselon": 3, "strategic_service": True, "rb_implemented": True,
             "large_resources": True, "created_at": NOW} for i in rows])
        db.session.execute(insert(Case), [
            {"id": i, "unit_id": i, "target": "WBBM" if i % 7 == 0 else "WBK", "year": 2026,
             "regulation": "permenpanrb-90-2021", "state": STATES[i % len(STATES)],
             "version": 2, "created_at": NOW} for i in rows])
        duties = [{"kind": "year_end_report", "unit_id": i, "subject": f"unit:{i}",
                   "period": "2026", "due_date": date(2026, 12, 31 - i % 20), "state": "open",
                   "created_at": NOW} for i in rows]
        duties += [{"kind": "budget_allocation", "unit_id": i, "subject": f"unit:{i}",
                    "period": "2026", "due_date": date(2026, 1, 31), "state": "overdue",
                    "created_at": NOW} for i in rows if i % 5 == 0]
        db.session.execute(insert(Duty), duties)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def run(url: str, size: Size) -> list[Result]:
    from workflow.dashboard import instansi_dashboard
    from workflow.db import db
    from workflow.models import User

    service: list[float] = []
    raw: list[float] = []
    app = migrated_app(url)
    with app.app_context(), psycopg.connect(raw_dsn(url)) as conn:
        populate(size.cases)
        for call in range(WARM_UP + CALLS):
            actor = db.session.get(User, INSPECTORATE)
            assert actor is not None
            started = time.perf_counter()
            answer = instansi_dashboard(actor, 1, now=NOW)
            seconds = time.perf_counter() - started
            db.session.remove()
            if call >= WARM_UP:
                service.append(seconds)
            started = time.perf_counter()
            with conn.cursor() as cur:
                figures = []
                for statement in RAW:
                    cur.execute(statement, {"i": 1})
                    figures.append(cur.fetchall())
            seconds = time.perf_counter() - started
            conn.rollback()
            if call >= WARM_UP:
                raw.append(seconds)
        if answer["units"] != figures[1][0][0] or len(answer["next_deadlines"]) != len(
                figures[4]):
            raise RuntimeError("the raw queries answered otherwise than the dashboard")
        db.engine.dispose()
    ratio = _p99(service) / _p99(raw)
    return [Result("dashboard_p99_vs_raw", ratio, 1.2, "lower",
                   f"p99 {_p99(service) * 1000:.1f} ms vs {_p99(raw) * 1000:.1f} ms, p50 "
                   f"{statistics.median(service) * 1000:.1f} vs "
                   f"{statistics.median(raw) * 1000:.1f} ms, {size.cases} cases, "
                   f"{CALLS} calls each")]
