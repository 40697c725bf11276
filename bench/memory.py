"""Resident memory after serving ten times as many cases: nothing may grow with the work done.

In a fresh process (so that no other measure's objects count), the app opens cases over its
HTTP API (``POST /units/{id}/cases`` by an admin, answered with the case, through the whole
request path: token, schemas, transaction, serialisation), one case per unit, from
``THREADS`` client threads as a threaded server would. The process's resident set (``VmRSS``) after
``size.memory_cases`` cases is divided by the one after a tenth of them.
"""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import insert

from bench.harness import Result, Size, migrated_app

THREADS = 4
CASE = {"target": "WBK", "year": 2026, "regulation": "permenpanrb-90-2021"}


def resident_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def worker(url: str, small: int, large: int) -> tuple[int, int]:
    """(RSS in KiB after ``small`` cases, after ``large``), both after a full collection."""
    from workflow.db import db
    from workflow.directory import create_user
    from workflow.models import Instansi, Unit

    app = migrated_app(url)
    with app.app_context():
        db.session.execute(insert(Instansi), [{"id": 1, "name": "Bench", "kind": "kementerian"}])
        db.session.execute(insert(Unit), [
            {"id": i, "instansi_id": 1, "name": f"Unit {i}", "code": f"U{i}", "eselon": 3,
             "strategic_service": True, "rb_implemented": True, "large_resources": True}
            for i in range(1, large + 1)])
        db.session.commit()
        _, token = create_user("admin@bench.go.id", "admin")
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}

    def serve_part(units: range) -> None:
        client = app.test_client()
        for unit in units:
            opened = client.post(f"/api/v1/units/{unit}/cases", json=CASE, headers=headers)
            if opened.status_code != 201:
                raise RuntimeError(f"open case: {opened.status_code} {opened.get_data()!r}")

    def serve(units: range) -> None:
        with ThreadPoolExecutor(THREADS) as pool:
            for done in pool.map(serve_part, [units[i::THREADS] for i in range(THREADS)]):
                assert done is None

    serve(range(1, small + 1))
    gc.collect()
    after_small = resident_kib()
    serve(range(small + 1, large + 1))
    gc.collect()
    return after_small, resident_kib()


def run(url: str, size: Size) -> list[Result]:
    large = size.memory_cases
    small = large // 10
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        after_small, after_large = pool.apply(worker, (url, small, large))
    return [Result("memory_growth", after_large / after_small, 1.1, "lower",
                   f"RSS {after_small / 1024:.0f} MiB after {small} cases, "
                   f"{after_large / 1024:.0f} MiB after {large}")]
