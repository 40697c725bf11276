"""``zi config``: the settings as in effect, and the README's table generated from them."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from api import config


@click.group("config")
def config_group() -> None:
    """Show the settings."""


@config_group.command("show")
@with_appcontext
def show() -> None:
    """Print each setting as in effect (environment, .env, defaults); secrets masked."""
    settings: config.Settings = current_app.extensions["zi_settings"]
    for variable, value in settings.shown():
        click.echo(f"{variable}={value}")


@config_group.command("table")
def table() -> None:
    """Print the README's configuration table (Markdown), from the declarations."""
    click.echo(config.markdown_table(), nl=False)
