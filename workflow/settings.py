"""The policy figures an operator may set per deployment (read from the Flask config)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
