"""Every setting, declared once with its default; the environment overrides (``ZI_`` prefix).

``DATABASE_URL`` selects the database (default: a SQLite file under ``instance/``).
"""

from __future__ import annotations

import os
import re
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
}


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
    if problems:
        raise ValueError("invalid configuration: " + "; ".join(problems))
