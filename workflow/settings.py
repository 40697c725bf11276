"""The policy figures an operator may set per deployment (read from the Flask config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app

from workflow.duty_calendar import DutyPolicy


@dataclass(frozen=True)
class Policy:
    pakta_coverage_min: Decimal = Decimal("0.5")
    proposal_deadline_default: str = "05-31"
    proposal_deadlines: dict[int, str] = field(default_factory=dict)
    revocation_block_years: int = 2

    def proposal_deadline(self, year: int) -> date:
        """DOMAIN.md: 31 May of each year unless configured otherwise for that year."""
        month_day = self.proposal_deadlines.get(year, self.proposal_deadline_default)
        return date.fromisoformat(f"{year}-{month_day}")


def current_policy() -> Policy:
    config = current_app.config
    return Policy(
        pakta_coverage_min=Decimal(str(config["PAKTA_COVERAGE_MIN"])),
        proposal_deadline_default=config["PROPOSAL_DEADLINE"],
        proposal_deadlines={int(k): v for k, v in config["PROPOSAL_DEADLINES"].items()},
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
