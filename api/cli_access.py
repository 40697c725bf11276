"""``zi user list|deactivate|activate|set-role`` and ``zi token list|revoke|reissue``: taking
access back from the console (issue 9). USER is an id or an e-mail address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext

from workflow import access
from workflow.clock import JAKARTA, as_utc
from workflow.errors import DomainError
from workflow.models import ApiToken
from workflow.permissions import ROLES

T = TypeVar("T")


def _run(work: Callable[[], T]) -> T:
    try:
        return work()
    except DomainError as err:
        raise click.ClickException(f"{err.message_en} {err.errors or ''}".strip()) from err


def _when(moment: Any) -> str:
    return "-" if moment is None else as_utc(moment).astimezone(JAKARTA).isoformat(
        timespec="minutes")


@click.command("list")
@with_appcontext
def user_list() -> None:
    """Every user: id, e-mail, role, scope, active or not."""
    for user in access.list_users(None):
        scope = ",".join(str(unit_id) for unit_id in sorted(user.unit_ids)) or "-"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\tinstansi={user.instansi_id or '-'}"
                   f"\tunits={scope}\t{'active' if user.active else 'INACTIVE'}")


@click.command("deactivate")
@click.argument("reference", metavar="USER")
@with_appcontext
def user_deactivate(reference: str) -> None:
    """Deactivate a user: every token of theirs stops at the next request."""
    user = _run(lambda: access.set_active(None, access.find_user(reference).id, False))
    click.echo(f"user {user.id} {user.email} deactivated")


@click.command("activate")
@click.argument("reference", metavar="USER")
@with_appcontext
def user_activate(reference: str) -> None:
    """Reactivate a user (their unexpired, unrevoked tokens work again)."""
    user = _run(lambda: access.set_active(None, access.find_user(reference).id, True))
    click.echo(f"user {user.id} {user.email} activated")


@click.command("set-role")
@click.argument("reference", metavar="USER")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "units", type=int, multiple=True, help="unit id (repeatable)")
@click.option("--instansi", type=int)
@with_appcontext
def user_set_role(reference: str, role: str, units: tuple[int, ...],
                  instansi: int | None) -> None:
    """Give a user a role and the scope it needs (checked as by `zi user add`)."""
    user = _run(lambda: access.set_role(None, access.find_user(reference).id, role, units,
                                        instansi))
    click.echo(f"user {user.id} {user.email} is now {user.role}")


USER_COMMANDS = (user_list, user_deactivate, user_activate, user_set_role)


def _token_line(token: ApiToken) -> str:
    state = "revoked " + _when(token.revoked_at) if token.revoked_at else "live"
    return (f"{token.id}\tuser {token.user_id} {token.user.email}\tcreated "
            f"{_when(token.created_at)}\texpires {_when(token.expires_at)}\t{state}")


@click.group()
def token() -> None:
    """Manage API tokens (only their hashes are stored)."""


@token.command("list")
@click.option("--user", "reference", metavar="USER", help="only this user's tokens")
@with_appcontext
def token_list(reference: str | None) -> None:
    """Tokens, newest first: id, owner, dates, live or revoked."""
    user_id = _run(lambda: access.find_user(reference).id) if reference else None
    for row in access.list_tokens(None, user_id):
        click.echo(_token_line(row))


@token.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id: int) -> None:
    """Revoke one token; it stops at the next request."""
    row = _run(lambda: access.revoke_token(None, token_id))
    click.echo(_token_line(row))


@token.command("reissue")
@click.argument("reference", metavar="USER")
@with_appcontext
def token_reissue(reference: str) -> None:
    """Revoke every token of the user and print a new one alone on the last line."""
    user, new = _run(lambda: access.reissue_token(
        None, access.find_user(reference).id, int(current_app.config["TOKEN_TTL_DAYS"])))
    click.echo(f"user {user.id} {user.email}: earlier tokens revoked; new token:")
    click.echo(new)
