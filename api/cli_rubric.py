"""``zi rubric``: load a rubric version from a file, list the stored ones (issue 6).

A version is stored by id and content hash in one transaction (``workflow.lke.versions``):
the same content again changes nothing; other content under a stored id is refused, so a
case that pinned the id keeps being scored the same way. Load it under a new ``--id``.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from workflow.db import db
from workflow.errors import DomainError
from workflow.lke.catalog import parse_document
from workflow.lke.rubric import RubricDataError
from workflow.lke.versions import get_version, list_versions, load


@click.group("rubric")
def rubric() -> None:
    """Rubric versions (LKE): load and list."""


@rubric.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "rubric_id", help="store under this id (default: the file's own)")
@with_appcontext
def rubric_load(file: Path, rubric_id: str | None) -> None:
    """Load FILE: our YAML tree or PortalRB's master list (JSON), told apart by content."""
    try:
        document = parse_document(file.read_bytes(), rubric_id=rubric_id)
        row, created = load(document)
        db.session.commit()
    except (RubricDataError, DomainError) as err:
        db.session.rollback()
        raise click.ClickException(f"{file.name}: {err}") from err
    questions = len(get_version(row.id).worksheet.questions)
    click.echo(f"{'loaded' if created else 'unchanged'} {row.id} ({row.format}, "
               f"{row.regulation}, {questions} questions) sha256 {row.content_sha256}")


@rubric.command("list")
@with_appcontext
def rubric_list() -> None:
    """Every stored version: id, format, regulation, questions, content hash."""
    rows = list_versions()
    db.session.commit()  # built-in versions are stored on first use
    for row in rows:
        questions = len(get_version(row.id).worksheet.questions)
        click.echo(f"{row.id}\t{row.format}\t{row.regulation}\t{questions}\t"
                   f"{row.content_sha256[:16]}")
