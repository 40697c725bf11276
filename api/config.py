"""Every setting, declared once with its default; the environment overrides (``ZI_`` prefix).

``DATABASE_URL`` selects the database (default: a SQLite file under ``instance/``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "API_TITLE": "ZI Workflow",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "TOKEN_TTL_DAYS": 365,
    "PAKTA_COVERAGE_MIN": "0.5",
    "PROPOSAL_DEADLINE": "05-31",
    "PROPOSAL_DEADLINES": {},
    "REVOCATION_BLOCK_YEARS": 2,
    "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    # Duties and the sweep (issue 3; DOMAIN.md: Duties of a building unit).
    "IMPROVEMENT_PLAN_DAYS": 90,
    "BUDGET_ALLOCATION_DUE": "01-31",
    "TPI_MONITORING_EVERY_YEARS": 2,
    "REMINDER_OFFSETS_DAYS": [30, 14, 7, 1],
    "ESCALATION_AFTER_DAYS": 7,
    "SCHEDULER_MISFIRE_GRACE_SECONDS": 6 * 3600,
    # E-mail delivery (issue 3); the SMTP_* and MAIL_FROM names are also read unprefixed.
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 30,
    "MAIL_FROM": "ZI Workflow <noreply@localhost>",
    "DIGEST_HOUR": 7,
    "OUTBOX_BATCH_SIZE": 50,
    "OUTBOX_LEASE_SECONDS": 300,
    "OUTBOX_MAX_ATTEMPTS": 10,
    "OUTBOX_BACKOFF_SECONDS": 60,
    "OUTBOX_BACKOFF_CAP_SECONDS": 3600,
    "DISPATCHER_POLL_SECONDS": 10,
}
PLAIN_ENV = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS",
             "SMTP_TIMEOUT", "MAIL_FROM")


def plain_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The SMTP settings under the names operators know (``SMTP_HOST``…), typed as defaults."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for key in PLAIN_ENV:
        if key not in environ:
            continue
        raw, default = environ[key], DEFAULTS[key]
        if isinstance(default, bool):
            found[key] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int):
            found[key] = int(raw)
        else:
            found[key] = raw
    return found


def normalise_url(url: str) -> str:
    """psycopg 3 is the PostgreSQL driver: accept the plain scheme operators usually write."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def database_url(instance_path: str) -> str:
    default = f"sqlite:///{Path(instance_path) / 'zi.sqlite'}"
    return normalise_url(os.environ.get("DATABASE_URL") or default)


def check(config: dict[str, Any]) -> None:
    """Refuse a configuration that would only fail later, at the first request that used it."""
    problems = []
    for month_day in [config["PROPOSAL_DEADLINE"], *config["PROPOSAL_DEADLINES"].values()]:
        if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", str(month_day)):
            problems.append(f"proposal deadline {month_day!r} is not MM-DD")
    try:
        coverage = float(config["PAKTA_COVERAGE_MIN"])
        if not 0 <= coverage < 1:
            problems.append("PAKTA_COVERAGE_MIN must be in [0, 1)")
    except (TypeError, ValueError):
        problems.append("PAKTA_COVERAGE_MIN must be a number")
    if int(config["TOKEN_TTL_DAYS"]) < 1:
        problems.append("TOKEN_TTL_DAYS must be at least 1")
    if "@" not in parseaddr(str(config["MAIL_FROM"]))[1]:
        problems.append("MAIL_FROM must contain an e-mail address")
    if not 1 <= int(config["SMTP_PORT"]) <= 65535:
        problems.append("SMTP_PORT must be a TCP port")
    if not 0 <= int(config["DIGEST_HOUR"]) <= 23:
        problems.append("DIGEST_HOUR must be an hour, 0 to 23")
    for key in ("OUTBOX_BATCH_SIZE", "OUTBOX_LEASE_SECONDS", "OUTBOX_MAX_ATTEMPTS",
                "OUTBOX_BACKOFF_SECONDS", "SMTP_TIMEOUT"):
        if int(config[key]) < 1:
            problems.append(f"{key} must be at least 1")
    if int(config["OUTBOX_LEASE_SECONDS"]) <= int(config["SMTP_TIMEOUT"]):
        problems.append("OUTBOX_LEASE_SECONDS must exceed SMTP_TIMEOUT")
    if not re.fullmatch(r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])",
                        str(config["BUDGET_ALLOCATION_DUE"])):
        problems.append("BUDGET_ALLOCATION_DUE must be MM-DD")
    offsets = config["REMINDER_OFFSETS_DAYS"]
    if (not isinstance(offsets, list | tuple) or not offsets
            or any(not isinstance(day, int) or day < 0 for day in offsets)):
        problems.append("REMINDER_OFFSETS_DAYS must be a non-empty list of days >= 0")
    for key in ("IMPROVEMENT_PLAN_DAYS", "TPI_MONITORING_EVERY_YEARS", "ESCALATION_AFTER_DAYS",
                "SCHEDULER_MISFIRE_GRACE_SECONDS"):
        if int(config[key]) < 1:
            problems.append(f"{key} must be at least 1")
    if problems:
        raise ValueError("invalid configuration: " + "; ".join(problems))
