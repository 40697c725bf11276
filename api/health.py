"""Health: ``/livez`` (the process answers), ``/readyz`` (the database is reachable and its
schema is the migrations' head; else 503 with a JSON reason). ``/healthz`` is ``/readyz``
under its older name. Also what ``zi check`` and ``zi serve`` ask before starting."""

from __future__ import annotations

from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import text

from api.errors import retry_after
from migrations import DIRECTORY as MIGRATIONS
from workflow.db import db
from workflow.outage import summary


class NotReady(Exception):
    """Why the service cannot serve: ``code`` for machines, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@cache
def migration_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def database_revisions() -> frozenset[str]:
    """The schema revisions the database is at; raises ``NotReady`` when unreachable."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return frozenset(MigrationContext.configure(conn).get_current_heads())
    except Exception as err:
        raise NotReady("database_unavailable", summary(err)) from err


def check_ready() -> str:
    """The revision the database is at, when reachable and current; else ``NotReady``."""
    current, heads = database_revisions(), migration_heads()
    if current != heads:
        at = ", ".join(sorted(current)) or "no schema"
        raise NotReady("migrations_pending",
                       f"database at {at}, migrations at {', '.join(sorted(heads))}: "
                       "run `zi db upgrade`")
    return ", ".join(sorted(current))


def register(app: Flask) -> None:
    @app.get("/livez")
    def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    @app.get("/healthz")
    def readyz() -> Any:
        try:
            revision = check_ready()
        except NotReady as err:
            return ({"status": "unavailable", "code": err.code, "reason": str(err)}, 503,
                    {"Retry-After": str(retry_after(current_app))})
        return {"status": "ok", "revision": revision}
