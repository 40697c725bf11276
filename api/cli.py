"""The ``zi`` command: Flask's CLI with the app factory, plus the operators' commands.

``zi db upgrade`` comes from Flask-Migrate; the rest is declared here.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from api import create_app
from api.demo import load_demo
from workflow.audit import verify_chains
from workflow.db import db
from workflow.directory import create_user
from workflow.errors import DomainError
from workflow.models import AuditEvent
from workflow.permissions import ROLES


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             add_default_commands=False)
def main() -> None:
    """ZI Workflow: Zona Integritas designation backend."""


@main.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "units", type=int, multiple=True, help="unit id (repeatable)")
@click.option("--instansi", type=int)
@click.option("--name", default="")
@click.option("--language", type=click.Choice(("id", "en")), default="id")
@with_appcontext
def user_add(email: str, role: str, units: tuple[int, ...], instansi: int | None, name: str,
             language: str) -> None:
    """Create a user; the API token is printed alone on the last line (shown once)."""
    try:
        new_user, token = create_user(email, role, units, instansi, name, language,
                                      ttl_days=int(current_app.config["TOKEN_TTL_DAYS"]))
    except DomainError as err:
        raise click.ClickException(f"{err.message_en} {err.errors or ''}".strip()) from err
    click.echo(f"user {new_user.id} {new_user.email} ({new_user.role}) created; token:")
    click.echo(token)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the API with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    app = create_app()
    click.echo(f"ZI Workflow on http://{host}:{port} (docs: /api/docs)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo instansi once and print fresh tokens for its users."""
    for line in load_demo(ttl_days=int(current_app.config["TOKEN_TTL_DAYS"])):
        click.echo(line)


@main.group()
def audit() -> None:
    """Audit trail tools."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute every case's hash chain; name the first broken event of each."""
    broken = verify_chains()
    events = db.session.execute(select(func.count(AuditEvent.id))).scalar()
    for link in broken:
        click.echo(f"BROKEN case {link.case_id}: event {link.event_id} (seq {link.seq}): "
                   f"{link.problem}")
    if broken:
        sys.exit(1)
    click.echo(f"OK: {events} events, every chain intact")
