"""What every benchmark shares: sizes, a throwaway database, the app on it, and the report.

Each measure is a ratio against a baseline measured in the same run, printed as one line
``bench NAME value=V goal=G better=higher|lower``, so a slower or busier machine moves both
sides together and the line stays comparable from run to run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from flask import Flask

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Size:
    """How big a run is: ``full`` is the issue's national scale, ``quick`` keeps CI short."""

    name: str
    users: int
    cases: int
    units: int
    lifecycles: int
    processes: int
    http_requests: int
    emails: int
    memory_cases: int

    @property
    def quick(self) -> bool:
        return self.name == "quick"


FULL = Size("full", users=100_000, cases=100_000, units=100_000, lifecycles=200, processes=4,
            http_requests=2_000, emails=2_000, memory_cases=10_000)
QUICK = Size("quick", users=2_000, cases=2_000, units=2_000, lifecycles=20, processes=4,
             http_requests=200, emails=200, memory_cases=500)


@dataclass(frozen=True)
class Result:
    """One measure: ``value`` compared with ``goal`` in the direction ``better``."""

    name: str
    value: float
    goal: float
    better: str  # "higher" or "lower"
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.value >= self.goal if self.better == "higher" else self.value <= self.goal

    def line(self) -> str:
        return f"bench {self.name} value={self.value:.3g} goal={self.goal:g} better={self.better}"


def pg_url(url: str) -> str:
    """psycopg 3 under SQLAlchemy; the plain libpq form for raw psycopg baselines."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in url \
        else url


def raw_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def throwaway_databases() -> Iterator[Callable[[str], str]]:
    """New PostgreSQL databases, one per benchmark (never the shared ones), all dropped at the
    end of the run: each DROP forces a checkpoint, slow on a busy server, so one at the end
    (the others then find little to flush) rather than one per measure.

    Each is a copy (``CREATE DATABASE … TEMPLATE``) of one database migrated at the first
    request, so the migrations run once per run rather than once per measure; a measure's
    ``migrated_app`` then finds its database at the head."""
    server = make_url(pg_url(SERVER_URL))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    made: list[str] = []
    run_id = uuid.uuid4().hex[:8]
    template = f"zi_bench_template_{run_id}"

    def url_of(name: str) -> str:
        return server.set(database=name).render_as_string(hide_password=False)

    def create(label: str) -> str:
        with admin.connect() as conn:
            if not made:
                conn.execute(text(f'CREATE DATABASE "{template}"'))
                made.append(template)
                _migrate_template(url_of(template))
            name = f"zi_bench_{label}_{uuid.uuid4().hex[:8]}"
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        made.append(name)
        return url_of(name)

    try:
        yield create
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate_template(url: str) -> None:
    """Migrate the template and close every connection to it (a template being copied must
    have none)."""
    from workflow.db import db

    app = migrated_app(url)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def migrated_app(url: str, **config: object) -> Flask:
    # Imported here: a baseline's worker process (raw psycopg) never loads the app.
    import flask_migrate

    from api import MIGRATIONS, create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "http://zi.bench",
                      **config})
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    return app


def report(results: list[Result], size: Size) -> None:
    """A table for people, then one machine-readable line per measure."""
    print()
    print(f"ZI Workflow benchmarks ({size.name} size)")
    width = max([len(r.name) for r in results] + [7])
    print(f"{'measure':<{width}}  {'value':>9}  {'goal':>9}  better  met  detail")
    for r in results:
        print(f"{r.name:<{width}}  {r.value:>9.3g}  {r.goal:>9g}  {r.better:<6}  "
              f"{'yes' if r.met else 'no ':<3}  {r.detail}")
    print()
    for r in results:
        print(r.line())
