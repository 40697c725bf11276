"""One suite, two databases: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

On PostgreSQL each run creates its own database (and drops it after), so parallel runs do
not collide; a server that cannot be reached fails the run, it never skips it. The schema
is built by the migrations, as in production.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api import MIGRATIONS, create_app
from api.config import normalise_url
from workflow.db import db
from workflow.directory import create_user
from workflow.models import Instansi, Unit

TEST_AUDIT_KEY = "test-audit-key-not-a-secret-0123456789"


@contextmanager
def throwaway_database(prefix: str, sqlite_dir: Path) -> Iterator[str]:
    """A database of its own: a SQLite file in ``sqlite_dir``, or, with TEST_DATABASE_URL,
    a new database on that PostgreSQL server, dropped after."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{sqlite_dir / 'zi.sqlite'}"
        return
    url = make_url(normalise_url(server))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database("zi_test", tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_BASE_URL": "http://zi.test",
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "AUDIT_KEY": TEST_AUDIT_KEY,
        "AUTH_FAILURE_LIMIT": "1000000 per minute",  # the throttle's own test lowers it
        # every kept worksheet standing read is checked against a full marking
        "VERIFY_KEPT_MARKS": True,
    })
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    return app


def _empty_tables() -> None:
    db.session.remove()
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(migrated_app: Flask) -> Iterator[Flask]:
    """The app with an application context and empty tables after each test."""
    with migrated_app.app_context():
        try:
            yield migrated_app
        finally:
            _empty_tables()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class World:
    """A small instansi with one user of each role, and people out of scope."""

    instansi: Instansi
    unit: Unit
    other_unit: Unit
    foreign_unit: Unit
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _unit(instansi: Instansi, code: str, **overrides: Any) -> Unit:
    facts = {"eselon": 3, "strategic_service": True, "rb_implemented": True,
             "large_resources": True, **overrides}
    unit = Unit(instansi=instansi, name=f"Unit {code}", code=code, **facts)
    db.session.add(unit)
    return unit


@pytest.fixture
def world(app: Flask) -> World:
    instansi = Instansi(name="Kementerian Uji", kind="kementerian")
    foreign = Instansi(name="Pemda Lain", kind="pemda")
    unit, other = _unit(instansi, "U1"), _unit(instansi, "U2")
    foreign_unit = _unit(foreign, "F1")
    db.session.add_all([instansi, foreign])
    db.session.commit()
    w = World(instansi, unit, other, foreign_unit)
    people = {
        "admin": ("admin", (), None),
        "coordinator": ("coordinator", (unit.id,), instansi.id),
        "other_coordinator": ("coordinator", (other.id,), instansi.id),
        "inspectorate": ("inspectorate", (), instansi.id),
        "conflicted_inspectorate": ("inspectorate", (unit.id,), instansi.id),
        "foreign_inspectorate": ("inspectorate", (), foreign.id),
        "tpn": ("tpn", (), None),
    }
    for who, (role, units, instansi_id) in people.items():
        user, token = create_user(f"{who}@uji.go.id", role, units, instansi_id, name=who,
                                  ttl_days=3650)
        w.tokens[who], w.user_ids[who] = token, user.id
    return w


def pytest_report_header(config: pytest.Config) -> str:
    return "database: " + ("PostgreSQL (TEST_DATABASE_URL)" if os.environ.get("TEST_DATABASE_URL")
                           else "SQLite")


