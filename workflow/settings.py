"""The policy figures an operator may set per deployment (read from the Flask config)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app

from workflow.duty_calendar import DutyPolicy


@dataclass(frozen=True)
class Policy:
    pakta_coverage_min: Decimal = Decimal("0.5")
    revocation_block_years: int = 2


def current_policy() -> Policy:
    config = current_app.config
    return Policy(
        pakta_coverage_min=Decimal(str(config["PAKTA_COVERAGE_MIN"])),
        revocation_block_years=int(config["REVOCATION_BLOCK_YEARS"]),
    )


def current_duty_policy() -> DutyPolicy:
    """The duty calendar's figures (DOMAIN.md: Duties of a building unit) from the config."""
    config = current_app.config
    return DutyPolicy(
        improvement_plan_days=int(config["IMPROVEMENT_PLAN_DAYS"]),
        budget_allocation_due=config["BUDGET_ALLOCATION_DUE"],
        proposal_deadline_default=config["PROPOSAL_DEADLINE"],
        proposal_deadlines={int(k): v for k, v in config["PROPOSAL_DEADLINES"].items()},
        monitoring_every_years=int(config["TPI_MONITORING_EVERY_YEARS"]),
        reminder_offsets_days=tuple(int(day) for day in config["REMINDER_OFFSETS_DAYS"]),
        escalation_after_days=int(config["ESCALATION_AFTER_DAYS"]),
    )


def current_audit_key() -> bytes:
    """The secret the audit chains are keyed with (issue 9), kept outside the database.

    ``AUDIT_KEY`` (the key itself), else ``AUDIT_KEY_FILE``, else ``instance/audit.key``,
    which is created (mode 0600) with a random key the first time it is needed.
    """
    cached = current_app.extensions.get("zi_audit_key")
    if cached is None:
        cached = read_audit_key(current_app.config, current_app.instance_path)
        current_app.extensions["zi_audit_key"] = cached
    key: bytes = cached
    return key


def read_audit_key(config: Mapping[str, Any], instance_path: str) -> bytes:
    if config.get("AUDIT_KEY"):
        return str(config["AUDIT_KEY"]).encode("utf-8")
    if config.get("AUDIT_KEY_FILE"):
        path = Path(str(config["AUDIT_KEY_FILE"]))
        if not path.is_file():
            raise RuntimeError(f"AUDIT_KEY_FILE {path} does not exist")
    else:
        path = key_file(Path(instance_path) / "audit.key")
    key = path.read_bytes().strip()
    if len(key) < 16:
        raise RuntimeError(f"the audit key in {path} is shorter than 16 bytes")
    return key


def key_file(path: Path) -> Path:
    """``path``, created first (mode 0600, a random key) when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    return path
