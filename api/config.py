"""Every setting, declared once with its type, default and help (pydantic-settings).

The environment overrides the defaults under the ``ZI_`` prefix (a ``.env`` file in the
working directory is read when present); the mail and database settings are also read
under the plain names operators know (``SMTP_HOST``, ``MAIL_FROM``, ``DATABASE_URL``…), the
``ZI_`` name winning when both are set. A bad value stops the start with one line naming the
variable (``ConfigError``); the README's configuration table is generated from here.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

import limits
from dotenv import dotenv_values
from limits import parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError
from sqlalchemy.engine import make_url

from workflow import json_columns

log = logging.getLogger(__name__)
PREFIX = "ZI_"
ENV_FILE = ".env"
MONTH_DAY = re.compile(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
# Shell variables of the README's walk-through (`export ZI_ADMIN_TOKEN=…`, `ZI_CASE`): not
# settings, and not worth a warning.
WALKTHROUGH_NAMES = re.compile(r"ZI_(\w+_TOKEN|CASE\w*)")

# Flask and flask-smorest constants: not for operators to change.
FLASK_CONSTANTS: dict[str, Any] = {
    "API_TITLE": "ZI Workflow",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Swagger UI served by the app from the pinned swagger-ui-bundle package (api.docs).
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/ui/",
    # hide_parameters: a logged database error names no value (no personal data, issue 9).
    # No pre-ping (a round trip per transaction, issue 11): a pooled connection the driver
    # knows is closed is replaced at checkout (``api._replace_closed``), one that fails
    # with a disconnect invalidates the whole pool, and none is kept over half an hour.
    # JSON columns: orjson (workflow.json_columns, issue 11).
    "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_recycle": 1800,
                                  "json_serializer": json_columns.dumps,
                                  "json_deserializer": json_columns.loads},
}


class ConfigError(Exception):
    """A setting the service cannot start with; the message is one line for the operator."""


def setting(default: Any, help: str, *, plain: str | None = None, secret: bool = False,
            shown: str | None = None, **constraints: Any) -> Any:
    """A field with its help text. ``plain`` is the field's own name, given when it is also read
    without ``ZI_`` (the ``ZI_`` name winning); ``secret`` masks it in ``zi config show``;
    ``shown`` is the default as the README states it."""
    extra: dict[str, Any] = {"secret": secret, "plain": plain is not None, "shown": shown}
    if plain is not None:
        constraints["validation_alias"] = AliasChoices(PREFIX + plain, plain)
    return Field(default, description=help, json_schema_extra=extra, **constraints)


class Settings(BaseSettings):
    """The deployment's settings. Field names are the Flask config keys."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore",
        populate_by_name=True, validate_default=True, frozen=True)

    # Where things live.
    DATABASE_URL: str | None = setting(
        None, "database; `postgresql://user@host/db` uses psycopg 3", plain="DATABASE_URL",
        secret=True,
        shown="SQLite file `zi.sqlite` in the instance directory")
    INSTANCE_PATH: Path = setting(Path("instance"), "instance directory (SQLite file, evidence)",
                                  shown="`instance` in the working directory")
    STORAGE_DIR: Path | None = setting(None, "directory of uploaded evidence files",
                                       shown="`evidence` in the instance directory")
    EVIDENCE_MAX_BYTES: int = setting(10 * 1024 * 1024, "largest evidence or Excel file "
                                      "accepted (bytes; 10 MiB)", ge=1)
    PUBLIC_BASE_URL: str = setting("http://127.0.0.1:8000", "base of the links in e-mails")
    # Operations.
    LOG_FORMAT: Literal["text", "json"] = setting("text", "access and process log lines")
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting("INFO", "log level")
    RETRY_AFTER_SECONDS: int = setting(
        30, "Retry-After sent with a 503 while the database is unavailable", ge=1)
    SWEEP_RETRY_SECONDS: int = setting(
        300, "seconds after which a failed duty sweep is tried again", ge=1)
    SCHEDULER_MISFIRE_GRACE_SECONDS: int = setting(
        6 * 3600, "how late a missed hourly sweep may still run", ge=1)
    # Rules of the process.
    TOKEN_TTL_DAYS: int = setting(365, "lifetime of new API tokens (days)", ge=1)
    PAKTA_COVERAGE_MIN: Decimal = setting(
        Decimal("0.5"), "share of staff that must have signed the Pakta Integritas "
        "(strictly more than)", ge=0, lt=1)
    PROPOSAL_DEADLINE: str = setting(
        "05-31", "90/2021: last day (MM-DD, Jakarta) on which TPI may approve a proposal")
    PROPOSAL_DEADLINES: dict[int, str] = setting(
        {}, 'per-year overrides, JSON, e.g. `{"2027": "06-15"}`')
    REVOCATION_BLOCK_YEARS: int = setting(
        2, "years a unit waits to open a case after a revocation", ge=0)
    # Duties and the sweep (DOMAIN.md: Duties of a building unit).
    IMPROVEMENT_PLAN_DAYS: int = setting(
        90, "days after a return within which the improvement plan is due", ge=1)
    BUDGET_ALLOCATION_DUE: str = setting("01-31", "due date (MM-DD) of the yearly budget "
                                         "allocation")
    TPI_MONITORING_EVERY_YEARS: int = setting(2, "years between TPI monitoring visits", ge=1)
    REMINDER_OFFSETS_DAYS: list[int] = setting(
        [30, 14, 7, 1], "days before a due date on which reminders go out (JSON list)")
    ESCALATION_AFTER_DAYS: int = setting(7, "days overdue before the inspectorate is told", ge=1)
    # E-mail delivery.
    SMTP_HOST: str = setting("localhost", "SMTP server", plain="SMTP_HOST")
    SMTP_PORT: int = setting(25, "SMTP port", plain="SMTP_PORT", ge=1, le=65535)
    SMTP_USER: str = setting("", "SMTP login (empty: none)", plain="SMTP_USER")
    SMTP_PASSWORD: str = setting("", "SMTP password", plain="SMTP_PASSWORD", secret=True)
    SMTP_STARTTLS: bool = setting(False, "STARTTLS before login (`true`/`false`)",
                                  plain="SMTP_STARTTLS")
    SMTP_SSL: bool = setting(False, "implicit TLS (port 465) instead of plain SMTP",
                             plain="SMTP_SSL")
    SMTP_ALLOW_PLAINTEXT_AUTH: bool = setting(
        False, "allow the SMTP login without STARTTLS or implicit TLS (knowingly)",
        plain="SMTP_ALLOW_PLAINTEXT_AUTH")
    SMTP_TIMEOUT: int = setting(30, "SMTP timeout (seconds)", plain="SMTP_TIMEOUT", ge=1)
    MAIL_FROM: str = setting("ZI Workflow <noreply@localhost>", "sender of every e-mail",
                             plain="MAIL_FROM")
    DIGEST_HOUR: int = setting(7, "hour (WIB) of the daily digest", ge=0, le=23)
    OUTBOX_BATCH_SIZE: int = setting(50, "messages sent per dispatcher pass", ge=1)
    OUTBOX_LEASE_SECONDS: int = setting(
        300, "how long a dispatcher holds a message it sends (> SMTP_TIMEOUT)", ge=1)
    OUTBOX_RETRY_HOURS: float = setting(
        72.0, "hours after its first claim during which a temporary failure is retried",
        gt=0)
    OUTBOX_BACKOFF_SECONDS: int = setting(60, "first retry delay after a temporary failure",
                                          ge=1)
    OUTBOX_BACKOFF_CAP_SECONDS: int = setting(3600, "longest retry delay", ge=1)
    DISPATCHER_POLL_SECONDS: float = setting(10.0, "seconds between dispatcher passes", gt=0)
    # PortalRB's pull API (issue 7).
    INTEGRATION_TOKEN_TTL_DAYS: int = setting(
        365, "lifetime of new PortalRB integration tokens (days)", ge=1)
    PORTALRB_RATE_LIMIT: str = setting(
        "120 per minute", "requests each integration token may make, e.g. `120 per minute`")
    RATELIMIT_STORAGE_URI: str = setting(
        "memory://", "rate-limit counters: `memory://` counts per process; several server "
        "processes share `redis://host:6379`")
    SIGNED_LINK_KEY: str = setting(
        "", "key of the signed evidence links", secret=True,
        shown="a random key kept in `signed_link.key` in the instance directory")
    SIGNED_LINK_DAYS: int = setting(30, "days a signed evidence link stays valid", ge=1)
    PORTALRB_MAX_LINKED_FILE_MB: int = setting(
        50, "evidence files larger than this (MB) are described to PortalRB, not linked", ge=1)
    # The audit trail (issue 9).
    AUDIT_KEY: str = setting("", "HMAC key of the audit chains; keep it outside the database "
                             "and its backups", secret=True,
                             shown="(empty: `ZI_AUDIT_KEY_FILE`, else `audit.key` in the "
                             "instance directory, made once)")
    AUDIT_KEY_FILE: Path | None = setting(None, "file holding the audit key",
                                          shown="(none)")
    SECRET_KEY: str = setting("", "key signing the pages' session cookies and CSRF tokens; "
                              "the same for every process", secret=True,
                              shown="(empty: `session.key` in the instance directory, made "
                              "once)")
    # Hostile input (issue 9).
    MAX_BODY_BYTES: int = setting(2 * 1024 * 1024, "larger request bodies are answered 413 "
                                  "before they are read", ge=1024)
    AUTH_FAILURE_LIMIT: str = setting(
        "20 per 5 minutes", "failed authentications per client address before 429 (API "
        "tokens and page sign-ins, each counted on its own)")
    SIGNIN_ACCOUNT_FAILURE_LIMIT: str = setting(
        "10 per 15 minutes", "failed page sign-ins per account (e-mail typed) before 429")
    VERIFY_KEPT_MARKS: bool = setting(
        False, "check every kept worksheet standing a decision reads against a full marking "
        "of the sheet (diagnosis, slower; the test suite sets it)")

    @field_validator("PROPOSAL_DEADLINE", "BUDGET_ALLOCATION_DUE")
    @classmethod
    def _month_day(cls, value: str) -> str:
        if not MONTH_DAY.fullmatch(value):
            raise ValueError(f"expected a date as MM-DD, got {value!r}")
        return value

    @field_validator("PROPOSAL_DEADLINES")
    @classmethod
    def _month_days(cls, value: dict[int, str]) -> dict[int, str]:
        for year, month_day in value.items():
            if not MONTH_DAY.fullmatch(month_day):
                raise ValueError(f"expected MM-DD for {year}, got {month_day!r}")
        return value

    @field_validator("REMINDER_OFFSETS_DAYS")
    @classmethod
    def _offsets(cls, value: list[int]) -> list[int]:
        if not value or any(day < 0 for day in value):
            raise ValueError("expected a non-empty JSON list of days >= 0")
        return value

    @field_validator("PORTALRB_RATE_LIMIT")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as err:
            raise ValueError("expected a limit such as `120 per minute`") from err
        return value

    @field_validator("RATELIMIT_STORAGE_URI")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        """Refused at start, not at PortalRB's first call (e.g. ``redis://`` without the
        ``redis`` package: ``pip install 'limits[redis]'``)."""
        try:
            storage_from_string(value)
        except ConfigurationError as err:
            raise ValueError(f"cannot use it: {err}") from err
        return value

    @field_validator("MAIL_FROM")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("expected an e-mail address, e.g. `ZI <zi@instansi.go.id>`")
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            make_url(normalise_url(value))
        except Exception as err:
            raise ValueError("expected a database URL, e.g. postgresql://user@host/db") from err
        return value

    @field_validator("AUTH_FAILURE_LIMIT", "SIGNIN_ACCOUNT_FAILURE_LIMIT")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as err:
            raise ValueError("expected a rate like `20 per 5 minutes`") from err
        return value

    @model_validator(mode="after")
    def _credentials_in_clear(self) -> Settings:
        if (self.SMTP_USER and not (self.SMTP_STARTTLS or self.SMTP_SSL)
                and not self.SMTP_ALLOW_PLAINTEXT_AUTH):
            raise ValueError("SMTP credentials would travel in clear: set SMTP_STARTTLS or "
                             "SMTP_SSL (or SMTP_ALLOW_PLAINTEXT_AUTH=true, knowingly)")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_timeout(self) -> Settings:
        if self.OUTBOX_LEASE_SECONDS <= self.SMTP_TIMEOUT:
            raise ValueError(f"ZI_OUTBOX_LEASE_SECONDS ({self.OUTBOX_LEASE_SECONDS}) must "
                             f"exceed SMTP_TIMEOUT ({self.SMTP_TIMEOUT})")
        return self

    # Derived values.
    @property
    def database_uri(self) -> str:
        if self.DATABASE_URL:
            return normalise_url(self.DATABASE_URL)
        return f"sqlite:///{self.instance_path / 'zi.sqlite'}"

    @property
    def instance_path(self) -> Path:
        return self.INSTANCE_PATH.resolve()

    @property
    def storage_dir(self) -> Path:
        return (self.STORAGE_DIR or self.instance_path / "evidence").resolve()

    def flask_config(self) -> dict[str, Any]:
        """The values as Flask config keys, with the derived ones resolved."""
        config = {name: getattr(self, name) for name in type(self).model_fields}
        config.update(SQLALCHEMY_DATABASE_URI=self.database_uri,
                      INSTANCE_PATH=str(self.instance_path), STORAGE_DIR=str(self.storage_dir))
        return config

    def shown(self) -> list[tuple[str, str]]:
        """``(variable, value)`` per setting as in effect, secrets masked (``zi config show``)."""
        lines = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if name == "DATABASE_URL":
                value = make_url(self.database_uri).render_as_string(hide_password=True)
            elif _extra(field)["secret"] and value:
                value = "********"
            elif name == "STORAGE_DIR":
                value = self.storage_dir
            elif name == "INSTANCE_PATH":
                value = self.instance_path
            lines.append((env_names(name)[-1], _text(value)))
        return lines


def _extra(field: Any) -> dict[str, Any]:
    return dict(field.json_schema_extra or {})


def env_names(name: str) -> list[str]:
    """The variables a setting is read from, the winning one first."""
    field = Settings.model_fields[name]
    return [PREFIX + name, name] if _extra(field)["plain"] else [PREFIX + name]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def normalise_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver: accept the plain scheme operators usually write."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def _one_line(error: ValidationError, environ: Mapping[str, str]) -> str:
    """Each problem as ``VARIABLE=value: what was expected``, joined on one line."""
    problems = []
    for item in error.errors(include_url=False):
        message = (str(item["msg"]).removeprefix("Value error, ")
                   .replace("Input should be", "expected"))
        if not item["loc"]:
            problems.append(message)
            continue
        name = str(item["loc"][0])
        if name in Settings.model_fields:
            variable = next((env for env in env_names(name) if env in environ),
                            env_names(name)[0])
        else:  # a plain alias (ZI_SMTP_PORT / SMTP_PORT) is reported under its own name
            variable = name
        given = item.get("input")
        shown = "" if isinstance(given, dict) and not given else f"={given!r}"
        problems.append(f"{variable}{shown}: {message}")
    return "invalid configuration: " + "; ".join(problems)


def load(overrides: Mapping[str, Any] | None = None, *, warn: bool = True) -> Settings:
    """The settings from the environment and ``.env``, ``overrides`` winning (tests).

    Raises ``ConfigError`` with one line; warns about unknown ``ZI_`` variables."""
    environ = {**_dotenv(), **os.environ}
    try:
        settings = Settings(**dict(overrides or {}))
    except ValidationError as err:
        raise ConfigError(_one_line(err, environ)) from None
    except SettingsError as err:  # a JSON value that does not parse
        name = re.search(r'field "(\w+)"', str(err))
        variable = env_names(name[1])[0] if name else "a JSON setting"
        raise ConfigError(f"invalid configuration: {variable}: expected JSON, e.g. "
                          f"{_text(Settings.model_fields[name[1]].default) if name else ''}"
                          ) from None
    for variable in unknown_variables(environ) if warn else ():
        log.warning("unknown setting %s ignored (see `zi config show`)", variable)
    return settings


def _dotenv() -> dict[str, str]:
    if not Path(ENV_FILE).is_file():
        return {}
    return {key: value or "" for key, value in dotenv_values(ENV_FILE).items()}


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    known = {PREFIX + name for name in Settings.model_fields}
    return sorted(key for key in environ
                  if key.upper().startswith(PREFIX) and key.upper() not in known
                  and not WALKTHROUGH_NAMES.fullmatch(key.upper()))


def markdown_table() -> str:
    """The README's configuration table, from the declarations above."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        extra = _extra(field)
        names = " or ".join(f"`{env}`" for env in reversed(env_names(name)))
        default = extra["shown"] or f"`{_text(field.default)}`".replace("``", "(empty)")
        rows.append(f"| {names} | {_type_name(field.annotation)} | {default} | "
                    f"{field.description} |")
    return "\n".join(rows) + "\n"


def _type_name(annotation: Any) -> str:
    text = str(annotation)
    for raw, shown in (("typing.Literal", "one of"), ("pathlib.Path", "path"),
                       ("decimal.Decimal", "decimal"), ("dict[int, str]", "JSON object"),
                       ("list[int]", "JSON list"), ("<class '", ""), ("'>", ""),
                       ("str", "text"), ("int", "integer"), ("float", "number"),
                       ("bool", "boolean"), (" | None", "")):
        text = text.replace(raw, shown)
    return text.replace("one of[", "one of ").replace("]", "").replace("'", "`")
