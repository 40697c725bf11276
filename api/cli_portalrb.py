"""``zi integration-token add|list|revoke`` and ``zi portalrb check``: PortalRB's side of the
operators' work (issue 7)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from workflow import integration_tokens
from workflow.clock import JAKARTA, as_utc, utcnow
from workflow.errors import DomainError
from workflow.lke.portalrb_feed import readiness


def _fail(err: DomainError) -> click.ClickException:
    return click.ClickException(f"{err.message_en} {err.errors or ''}".strip())


@click.group("integration-token")
def integration_token() -> None:
    """PortalRB's integration tokens (one or more per instansi)."""


@integration_token.command("add")
@click.option("--instansi", type=int, required=True, help="instansi id")
@click.option("--name", default="", help="a label, e.g. 'PortalRB 2026'")
@click.option("--days", type=int, default=None,
              help="valid for this many days (default INTEGRATION_TOKEN_TTL_DAYS)")
@with_appcontext
def token_add(instansi: int, name: str, days: int | None) -> None:
    """Create a token; it is printed alone on the last line, once."""
    ttl = days if days is not None else int(current_app.config["INTEGRATION_TOKEN_TTL_DAYS"])
    try:
        row, token = integration_tokens.add(instansi, ttl, name)
    except DomainError as err:
        raise _fail(err) from err
    expires = as_utc(row.expires_at).astimezone(JAKARTA).isoformat(timespec="minutes")
    click.echo(f"integration token {row.id} for instansi {row.instansi_id} created, expires "
               f"{expires}; register {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}"
               "/api/portalrb in PortalRB with:")
    click.echo(token)


@integration_token.command("list")
@click.option("--instansi", type=int, default=None, help="only this instansi's tokens")
@with_appcontext
def token_list(instansi: int | None) -> None:
    """Every token: id, instansi, status, created, expires, name (never the token)."""
    now = utcnow()
    for row in integration_tokens.list_tokens(instansi):
        created, expires = (as_utc(t).astimezone(JAKARTA).isoformat(timespec="minutes")
                            for t in (row.created_at, row.expires_at))
        click.echo(f"{row.id}\tinstansi {row.instansi_id}\t"
                   f"{integration_tokens.status(row, now)}\t{created}\t{expires}\t{row.name}")


@integration_token.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke a token at once (PortalRB's next call gets 401)."""
    try:
        row = integration_tokens.revoke(token_id)
    except DomainError as err:
        raise _fail(err) from err
    click.echo(f"integration token {row.id} revoked")


@click.group("portalrb")
def portalrb() -> None:
    """PortalRB: what it would see."""


@portalrb.command("check")
@click.option("--instansi", type=int, required=True, help="instansi id")
@click.option("--tahun", type=int, default=None, help="year (default: the current one, WIB)")
@with_appcontext
def check(instansi: int, tahun: int | None) -> None:
    """Each case of the year: would PortalRB see it, and if not, why. Exit 1 if one is not
    ready."""
    year = tahun or utcnow().astimezone(JAKARTA).year
    limit = int(current_app.config["PORTALRB_MAX_LINKED_FILE_MB"]) * 2**20
    try:
        report = readiness(instansi, year, limit)
    except DomainError as err:
        raise _fail(err) from err
    for entry in report:
        case = entry.case
        verdict = "READY" if entry.ready else ("VISIBLE" if entry.visible else "NOT SEEN")
        click.echo(f"{verdict}\tcase {case.id}\t{case.unit.code}\t{entry.kategori}\t"
                   f"{case.state}\t{case.unit.name}")
        for problem in entry.problems:
            items = f" [{', '.join(problem.items[:10])}{' …' if len(problem.items) > 10 else ''}]" \
                if problem.items else ""
            click.echo(f"\t- {problem.code}: {problem.message_en}{items}")
    ready = sum(entry.ready for entry in report)
    click.echo(f"{ready} of {len(report)} cases of {year} ready for PortalRB")
    if ready < len(report):
        sys.exit(1)
