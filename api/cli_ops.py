"""``zi check`` and ``zi serve``: what an operator runs to start the web process, and to know
beforehand that it will start."""

from __future__ import annotations

import signal
import smtplib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from api import create_app
from api.config import ConfigError
from api.health import NotReady, check_ready, database_revisions
from workflow.guards import proposal_rules
from workflow.lke import catalog, versions
from workflow.process import settle

DRAIN_SECONDS = 30.0


def _configuration() -> tuple[Flask | None, str]:
    try:
        app = create_app()
    except ConfigError as err:
        return None, str(err)
    settings = app.extensions["zi_settings"]
    return app, f"{len(type(settings).model_fields)} settings valid"


def _database(app: Flask) -> str:
    with app.app_context():
        database_revisions()
    return app.extensions["zi_settings"].shown()[0][1]


def _migrations(app: Flask) -> str:
    with app.app_context():
        return f"at head {check_ready()}"


def _rubrics(app: Flask, schema_current: bool) -> str:
    for rubric_id in catalog.BUILTIN:
        catalog.compile_version(catalog.builtin_document(rubric_id))
    rules = proposal_rules()
    stored = "stored versions not checked (schema not current)"
    if schema_current:
        with app.app_context():
            rows = versions.list_versions()
            for row in rows:
                versions.get_version(row.id)
        stored = f"{len(rows)} stored"
    return f"{len(catalog.BUILTIN)} built-in versions, {stored}, {len(rules)} proposal rule groups"


def _storage(app: Flask) -> str:
    directory = Path(app.config["STORAGE_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".zi-check-"):
        pass
    return f"{directory} writable"


def _smtp(app: Flask) -> str:
    config = app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                      timeout=config["SMTP_TIMEOUT"]) as conn:
        conn.ehlo()
        if config["SMTP_STARTTLS"]:
            conn.starttls()
            conn.ehlo()
        if config["SMTP_USER"]:
            conn.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        code, _ = conn.noop()
    return f"{config['SMTP_HOST']}:{config['SMTP_PORT']} answered {code}"


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}" if not isinstance(
        error, NotReady) else str(error)


@click.command("check")
@click.option("--smtp", is_flag=True, help="also connect (and log in) to the SMTP server")
def check(smtp: bool) -> None:
    """Check the set-up, one line per check; exit status 1 when one fails."""
    app, line = _configuration()
    click.echo(f"{'ok  ' if app else 'FAIL'} configuration: {line}")
    if app is None:
        sys.exit(1)
    steps: list[tuple[str, Callable[[Flask], str]]] = [
        ("database", _database), ("migrations", _migrations),
        ("rubric data", lambda app: _rubrics(app, not failures)), ("storage", _storage)]
    if smtp:
        steps.append(("smtp", _smtp))
    failures: list[str] = []
    for name, step in steps:
        if "database" in failures and name == "migrations":
            click.echo(f"FAIL {name}: not checked, the database is unreachable")
            failures.append(name)
            continue
        try:
            result = step(app)
        except Exception as err:
            click.echo(f"FAIL {name}: {_one_line(err)}")
            failures.append(name)
        else:
            click.echo(f"ok   {name}: {result}")
    sys.exit(1 if failures else 0)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the API with waitress; SIGTERM stops accepting and finishes requests in flight."""
    app = create_app()
    try:
        with app.app_context():
            check_ready()
    except NotReady as err:
        raise click.ClickException(f"not starting: {err}") from None
    try:
        server: Any = create_server(app, host=host, port=port, threads=threads)
    except OSError as err:
        raise click.ClickException(f"not starting: cannot listen on {host}:{port}: "
                                   f"{err.strerror or err}") from None
    settle()
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    click.echo(f"ZI Workflow on http://{host}:{server.effective_port} (docs: /api/docs)")
    loop = {"timeout": 0.2, "map": server._map, "use_poll": server.adj.asyncore_use_poll,
            "count": 1}
    while not stopping:
        wasyncore.loop(**loop)
    click.echo("stopping: no new connections; finishing the requests in flight")
    wasyncore.dispatcher.close(server)  # the listening socket only; the trigger stays
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and any(
            channel.requests or channel.total_outbufs_len
            for channel in list(server.active_channels.values())):
        wasyncore.loop(**loop)
    server.task_dispatcher.shutdown(timeout=5)
    wasyncore.close_all(server._map)
    click.echo("stopped")
