"""The ``zi`` command: Flask's CLI with the app factory, plus the operators' commands.

``zi db upgrade`` comes from Flask-Migrate; the rest is declared here.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from importlib.metadata import version
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate.cli import db as migrate_group

from api import create_app, logs
from api.cli_access import USER_COMMANDS, token
from api.cli_audit import audit
from api.cli_config import config_group
from api.cli_ops import check, serve
from api.cli_outbox import outbox_group
from api.cli_portalrb import integration_token, portalrb
from api.cli_rubric import rubric
from api.config import ConfigError
from api.config import load as load_settings
from api.demo import load_demo
from notifications.dispatcher import dispatch_once, run_forever
from notifications.settings import DeliverySettings
from workflow.clock import JAKARTA, utcnow
from workflow.directory import create_user
from workflow.errors import DomainError
from workflow.outage import summary
from workflow.passwords import invite_new_user
from workflow.permissions import ROLES
from workflow.scheduler import run_scheduler
from workflow.sweep import sweep as sweep_at

OPERATOR_DB_COMMANDS = ("upgrade", "current")
# Commands extensions add that an operator has no use for: they still run when typed, but
# `zi --help` does not list them (Flask-Limiter's counters live in the serving process, so
# its `limiter clear` from another process would not clear them anyway).
DEVELOPER_COMMANDS = ("limiter",)
DEVELOPER_OPENAPI_COMMANDS = ("list-config-prefixes",)


def _hide_developer_parts() -> None:
    """Alembic's developer commands (revision, downgrade, stamp…) and the ``--directory`` /
    ``-x`` options of ``zi db``: the migrations ship inside the package."""
    for name, command in migrate_group.commands.items():
        command.hidden = name not in OPERATOR_DB_COMMANDS
    for param in migrate_group.params:
        if isinstance(param, click.Option):
            param.hidden = True


class ZiGroup(FlaskGroup):
    """Flask's CLI without its developer options (--app, --debug, --env-file): the app is
    always ours, and the settings (with ``.env``) are read by ``api.config``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(create_app=create_app, add_version_option=False,
                         add_default_commands=False, load_dotenv=False, **kwargs)
        self.params = [param for param in self.params
                       if param.name not in ("app", "debug", "env_file")]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None and name in DEVELOPER_COMMANDS:
            command.hidden = True
        if isinstance(command, click.Group) and name == "openapi":
            for sub in DEVELOPER_OPENAPI_COMMANDS:
                if sub in command.commands:
                    command.commands[sub].hidden = True
        return command


@click.group(cls=ZiGroup)
@click.version_option(version("zi-workflow"), prog_name="zi")
def main() -> None:
    """ZI Workflow: Zona Integritas designation backend."""


def run() -> None:
    """The ``zi`` entry point: a bad setting is one line on stderr and exit status 2."""
    try:
        settings = load_settings(warn=False)
    except ConfigError as err:
        if sys.argv[1:2] != ["check"]:  # zi check reports a bad setting as one of its checks
            click.echo(f"zi: {err}", err=True)
            sys.exit(2)
    else:
        logs.configure(settings.LOG_LEVEL, settings.LOG_FORMAT)
    main()


_hide_developer_parts()
main.add_command(config_group)
main.add_command(integration_token)
main.add_command(portalrb)
main.add_command(audit)
main.add_command(token)
main.add_command(outbox_group)
main.add_command(check)
main.add_command(serve)


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
@click.option("--digest/--no-digest", default=False, help="reminders bundled once a day")
@click.option("--invite", is_flag=True,
              help="e-mail a link to set a password (through the outbox) instead of printing "
                   "an API token")
@with_appcontext
def user_add(email: str, role: str, units: tuple[int, ...], instansi: int | None, name: str,
             language: str, digest: bool, invite: bool) -> None:
    """Create a user; the API token is printed alone on the last line (shown once), or with
    --invite an invitation e-mail is queued and no token is made."""
    try:
        if invite:
            invited = invite_new_user(None, email, role, units, instansi, name, language,
                                      daily_digest=digest)
            click.echo(f"user {invited.id} {invited.email} ({invited.role}) created; "
                       "invitation queued in the outbox (sent by `zi dispatcher`)")
            return
        new_user, token = create_user(email, role, units, instansi, name, language,
                                      ttl_days=int(current_app.config["TOKEN_TTL_DAYS"]),
                                      daily_digest=digest)
    except DomainError as err:
        raise click.ClickException(f"{err.message_en} {err.errors or ''}".strip()) from err
    click.echo(f"user {new_user.id} {new_user.email} ({new_user.role}) created; token:")
    click.echo(token)


for command in USER_COMMANDS:
    user.add_command(command)


@main.command("demo")
@with_appcontext
def demo() -> None:
    """Load the demo instansi once and print fresh tokens for its users."""
    for line in load_demo(ttl_days=int(current_app.config["TOKEN_TTL_DAYS"])):
        click.echo(line)


@main.command("dispatcher")
@click.option("--once", is_flag=True, help="send what is due now, print the counts and exit")
@with_appcontext
def dispatcher(once: bool) -> None:
    """Send the outbox over SMTP; without --once, poll until SIGTERM or Ctrl-C."""
    settings = DeliverySettings.from_config(current_app.config)
    if once:
        try:
            report = dispatch_once(settings)
        except Exception as err:
            raise click.ClickException(f"dispatcher: {summary(err)}") from None
        click.echo(f"dispatcher: {report}")
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"dispatcher: polling every {settings.poll_seconds:g}s, SMTP "
               f"{settings.smtp_host}:{settings.smtp_port}")
    run_forever(settings, stop, on_report=lambda report: click.echo(f"dispatcher: {report}"))
    click.echo("dispatcher: stopped")


@main.command("sweep")
@click.option("--now", "now_text", metavar="ISO-8601",
              help="the instant to sweep at (default: now); without an offset it is WIB")
@with_appcontext
def sweep_command(now_text: str | None) -> None:
    """Run one duty sweep (create, mark overdue, queue reminders) and print its report."""
    if now_text is None:
        now = utcnow()
    else:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as err:
            raise click.BadParameter(f"not ISO 8601: {now_text}", param_hint="--now") from err
        if now.tzinfo is None:
            now = now.replace(tzinfo=JAKARTA)
    click.echo(sweep_at(now))


@main.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the duty scheduler in this process until stopped (never inside web workers)."""
    click.echo("scheduler: duty sweep at start, then hourly at minute 5 (Asia/Jakarta)")
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo("scheduler: stopped")


main.add_command(rubric)
