"""HTTP only: the app factory, configuration, auth, resources, error mapping and the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_migrate import Migrate
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool
from werkzeug.routing import IntegerConverter, Map

from api import (
    auth,
    docs,
    errors,
    evidence_files,
    examples,
    health,
    limits,
    metrics,
    portalrb,
    requestlog,
)
from api import config as settings
from api.flask_class import ZiFlask
from api.jsonbody import ErrorStatusPlugin
from api.resources import BLUEPRINTS
from api.schemas import MAX_INT, Figure, figure_schema
from migrations import DIRECTORY as MIGRATIONS_DIRECTORY
from web import install as install_pages
from workflow.db import db
from workflow.errors import InvalidInput

MIGRATIONS = str(MIGRATIONS_DIRECTORY)
migrate = Migrate(directory=MIGRATIONS)


class MalformedId(str):
    """A path segment where a row id belongs that is not one (``abc``, ``-1``, 2**31)."""


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in our routes: an id a database column can hold. Any other segment still
    matches the route (so it is 400 naming the parameter, not 404 as for a route that does
    not exist); ``refuse_malformed_ids`` refuses it once the caller is known."""

    regex = r"[^/]+"

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_INT:
            return int(value)
        return MalformedId(value)


def refuse_malformed_ids() -> None:
    """After authentication: a malformed id in the path is 400 in the error format."""
    bad = sorted(name for name, value in (request.view_args or {}).items()
                 if isinstance(value, MalformedId))
    if bad:
        raise InvalidInput("Parameter alamat tidak valid", "Invalid path parameter",
                           errors={f"path.{name}": [f"bukan id / not an id (1 … {MAX_INT})"]
                                   for name in bad})


def _figure_property(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """apispec: a Figure is a decimal string or a JSON number (``api.schemas.figure_schema``)."""
    return figure_schema() if isinstance(field, Figure) else {}


class JsonProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` (tests) overrides the environment, settings validated alike.

    Raises ``settings.ConfigError`` (one line) when a setting is bad."""
    overrides = dict(config or {})
    declared = {key: overrides.pop(key) for key in list(overrides)
                if key in settings.Settings.model_fields}
    current = settings.load(declared)
    # No static folder of the app's own: its /static route would shadow the pages' (web.bp
    # serves the stylesheet and htmx there), answering every one of them with a JSON 404.
    app = ZiFlask(__name__, instance_path=str(current.instance_path), static_folder=None)
    app.json = JsonProvider(app)
    app.url_map.converters["int"] = RowIdConverter
    app.config.update(settings.FLASK_CONSTANTS)
    app.config.update(current.flask_config())
    app.config.update(overrides)
    app.extensions["zi_settings"] = current
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # an unreachable server fails in seconds (503, one log line), not after minutes
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"connect_timeout": 5}}

    db.init_app(app)
    migrate.init_app(app, db)
    api = errors.ZiApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}], "extra_plugins": [ErrorStatusPlugin()]})
    api.ma_plugin.converter.add_attribute_function(_figure_property)
    for name, component in examples.summary_components().items():
        api.spec.components.schema(name, component)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    api.register_blueprint(portalrb.blp)
    app.register_blueprint(evidence_files.blp)
    docs.register(app)
    errors.register(app)
    portalrb.init_app(app)
    auth.install(app)
    limits.install(app)  # its checks run first, ahead of the token's
    app.before_request(refuse_malformed_ids)  # after the token's

    install_pages(app)
    health.register(app)
    metrics.register(app)
    requestlog.register(app)
    return app


@event.listens_for(Pool, "checkout")
def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The pool's check in place of a pre-ping (no round trip): a connection the driver
    already knows is closed or broken (psycopg's flags) is replaced before it is used."""
    if _closed(dbapi_connection):
        raise DisconnectionError("connection closed while pooled")


def _closed(dbapi_connection: Any) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        try:
            dbapi_connection.total_changes  # noqa: B018 (raises once closed; no I/O)
        except sqlite3.ProgrammingError:
            return True
        return False
    return bool(getattr(dbapi_connection, "closed", False)
                or getattr(dbapi_connection, "broken", False))


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite enforces foreign keys only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
