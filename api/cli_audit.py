"""``zi audit``: check the keyed hash chains, and print or check an anchor of their heads."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from workflow.audit import make_anchor, verify_anchor, verify_chains
from workflow.db import db
from workflow.models import AuditEvent, DutyEvent


@click.group()
def audit() -> None:
    """Audit trail tools (they need the audit key: AUDIT_KEY or AUDIT_KEY_FILE)."""


@audit.command("verify")
@click.option("--anchor", "anchor_file", type=click.Path(dir_okay=False, path_type=Path),
              help="an anchor written earlier by `zi audit anchor`: every chain must still "
                   "contain the head it recorded")
@with_appcontext
def audit_verify(anchor_file: Path | None) -> None:
    """Recompute every chain and compare it with its head; name each break (exit 1)."""
    broken = verify_chains()
    if anchor_file is not None:
        try:
            anchor = json.loads(anchor_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise click.ClickException(f"cannot read the anchor {anchor_file}: {err}") from err
        broken += verify_anchor(anchor)
    for link in broken:
        where = f" event {link.event_id} (seq {link.seq})" if link.event_id else ""
        click.echo(f"BROKEN {link.chain} {link.owner_id}:{where} {link.kind}: {link.problem}")
    if broken:
        sys.exit(1)
    events = sum(db.session.execute(select(func.count(model.id))).scalar_one()
                 for model in (AuditEvent, DutyEvent))
    click.echo(f"OK: {events} events, every chain intact"
               + (", the anchor's heads all present" if anchor_file else ""))


@audit.command("anchor")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write the anchor to this file (default: print it)")
@with_appcontext
def audit_anchor(output: Path | None) -> None:
    """Print (or write) every chain head and their keyed digest, to keep off this server."""
    text = json.dumps(make_anchor(), indent=1, sort_keys=True)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"anchor written to {output}")
