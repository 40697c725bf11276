"""How the duty sweep scales with the number of units (issue 3: it must handle 100 000).

Builds a baseline population and one ten times larger in the same run, on the database of
``DATABASE_URL`` (default: a fresh SQLite file), and prints the time of a first sweep (which
creates every duty and reminder) and of a second one (which finds nothing to do), with the
per-unit ratio large/baseline. A ratio near 1 means linear scaling; the sweep is set-based,
so it should not grow with the square of the units.

    .venv/bin/python bench/sweep_scale.py [--units 10000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zi_bench .venv/bin/python bench/...
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime

import flask_migrate
from sqlalchemy import insert, text

from api import MIGRATIONS, create_app
from workflow.db import db
from workflow.models import Case, Instansi, Unit, User, user_unit
from workflow.sweep import sweep

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)  # inside every reminder window of 31 Dec


def populate(units: int) -> None:
    """``units`` units, each with a coordinator and a case in pembangunan (bulk inserts)."""
    db.session.execute(text("DELETE FROM outbox_message"))
    for table in ("duty", "zi_case", "user_unit", "app_user", "unit", "instansi"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(insert(Instansi), [{"id": 1, "name": "Bench", "kind": "kementerian",
                                           "created_at": NOW}])
    rows = range(1, units + 1)
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
         "regulation": "permenpanrb-90-2021", "state": "pembangunan", "version": 2,
         "building_since": NOW.date(), "created_at": NOW} for i in rows])
    db.session.commit()


def timed_sweeps(units: int) -> tuple[float, float, int]:
    populate(units)
    started = time.perf_counter()
    first = sweep(NOW)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = sweep(NOW)
    second_seconds = time.perf_counter() - started
    assert second.created_total == 0 and second.queued_total == 0, second
    return first_seconds, second_seconds, first.created_total + first.queued_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000, help="the large population")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        baseline_units = max(args.units // 10, 1)
        base = timed_sweeps(baseline_units)
        large = timed_sweeps(args.units)
        print(f"database: {db.engine.dialect.name}")
    print(f"{'units':>8} {'rows written':>12} {'first sweep s':>14} {'second sweep s':>15}")
    for units, (first, second, rows) in ((baseline_units, base), (args.units, large)):
        print(f"{units:>8} {rows:>12} {first:>14.3f} {second:>15.3f}")
    scale = args.units / baseline_units
    print(f"per-unit time ratio large/baseline: first {large[0] / base[0] / scale:.2f}, "
          f"second {large[1] / base[1] / scale:.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
