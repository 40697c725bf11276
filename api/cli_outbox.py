"""``zi outbox list|show|retry``: why a message was not delivered, and sending it again."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from notifications import outbox
from workflow.clock import JAKARTA, as_utc
from workflow.errors import DomainError


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return as_utc(moment).astimezone(JAKARTA).isoformat(timespec="seconds")


@click.group("outbox")
def outbox_group() -> None:
    """The e-mail outbox: what failed, what is uncertain, and re-queueing it."""


@outbox_group.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(outbox.STATUSES),
              help="repeatable; default: failed and uncertain")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@with_appcontext
def outbox_list(statuses: tuple[str, ...], limit: int) -> None:
    """Messages by status, newest first."""
    for message in outbox.list_messages(statuses or outbox.NEEDS_AN_OPERATOR, limit):
        click.echo(f"{message.id}\t{message.status}\t{message.template}\t"
                   f"{message.recipient_email}\tattempts {message.attempts}\t"
                   f"{(message.last_error or '').splitlines()[0] if message.last_error else '-'}")


@outbox_group.command("show")
@click.argument("message_id", type=int)
@with_appcontext
def outbox_show(message_id: int) -> None:
    """One message and every attempt at it."""
    try:
        message, attempts = outbox.get_message(message_id)
    except DomainError as err:
        raise click.ClickException(err.message_en) from err
    click.echo(f"message {message.id}: {message.template} to {message.recipient_email}\n"
               f"status {message.status}, attempts {message.attempts}, "
               f"Message-ID {message.rfc_message_id or '-'}\n"
               f"created {_when(message.created_at)}, next {_when(message.next_attempt_at)}, "
               f"gives up {_when(message.give_up_at)}, sent {_when(message.sent_at)}\n"
               f"last error: {message.last_error or '-'}")
    for attempt in attempts:
        click.echo(f"  {_when(attempt.attempted_at)}\t{attempt.outcome}\t"
                   f"{attempt.smtp_code or '-'}\t{attempt.detail or ''}")


@outbox_group.command("retry")
@click.argument("message_ids", type=int, nargs=-1, required=True)
@with_appcontext
def outbox_retry(message_ids: tuple[int, ...]) -> None:
    """Re-queue failed or uncertain messages now, with a new retry budget."""
    for message_id in message_ids:
        try:
            message = outbox.retry(message_id)
        except DomainError as err:
            raise click.ClickException(f"{message_id}: {err.message_en}") from err
        click.echo(f"message {message.id} re-queued")
