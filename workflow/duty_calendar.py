"""The duty calendar: which duties exist on a day, when each is due, when people are told.

DOMAIN.md: Duties of a building unit. Pure date rules (no Flask, no database): the sweep turns
the scalars computed here into set-based SQL, and the tests use the same functions as their
reference. Every date is a calendar date in Asia/Jakarta; the fiscal year is the calendar year.

Choices where the text is silent (documented, kept as data in ``DutyPolicy``):
- A duty is created only while its due date has not passed: the sweep never creates a duty
  that is born overdue (a unit that starts building in March gets no budget duty that year).
- A maintenance check is due for each quarter that begins after the designation.
- Reminders: on a day ``today`` an open duty due ``due`` is reminded at the smallest
  configured offset ``k`` with ``due - k <= today``. A daily sweep therefore sends each offset
  on its day; a sweep that did not run catches up with the most recent passed offset only,
  never with a burst of stale ones.
- Escalation: a duty still overdue more than ``escalation_after_days`` after its due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from workflow.clock import JAKARTA, add_years

KINDS = ("year_end_report", "maintenance_check", "tpi_monitoring_report", "improvement_plan",
         "budget_allocation", "proposal_deadline")
STATES = ("open", "submitted", "acknowledged", "overdue", "waived")
RETURN_TRIGGERS = ("tpi_return", "tpn_return")
PROPOSAL_STATES = ("pembangunan", "pengusulan")
HELD_STATE = "penetapan"
CLOSED_STATES = ("dicabut", "ditarik")


@dataclass(frozen=True)
class DutyPolicy:
    """The figures an operator may set (api/config.py DEFAULTS); defaults as DOMAIN.md."""

    improvement_plan_days: int = 90
    budget_allocation_due: str = "01-31"
    proposal_deadline_default: str = "05-31"
    proposal_deadlines: Mapping[int, str] = field(default_factory=dict)
    monitoring_every_years: int = 2
    reminder_offsets_days: tuple[int, ...] = (30, 14, 7, 1)
    escalation_after_days: int = 7

    def proposal_deadline(self, year: int) -> date:
        """31 May of each year unless configured otherwise for that year."""
        return on(year, self.proposal_deadlines.get(year, self.proposal_deadline_default))


@dataclass(frozen=True)
class Slot:
    """One occurrence of a duty: its ``period`` (part of the unique key) and its due date."""

    period: str
    due: date


@dataclass(frozen=True)
class Quarter:
    period: str
    start: date
    end: date


@dataclass(frozen=True)
class ReminderWindow:
    """Open duties due within ``[first_due, last_due]`` are reminded at ``offset`` today."""

    offset: int
    first_due: date
    last_due: date


def on(year: int, month_day: str) -> date:
    return date.fromisoformat(f"{year}-{month_day}")


def jakarta_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Jakarta."""
    return datetime.combine(day, time(), JAKARTA).astimezone(UTC)


def _if_not_passed(slot: Slot, today: date) -> Slot | None:
    return slot if slot.due >= today else None


def year_end_report(today: date) -> Slot:
    """Every unit with an open case or a held predicate reports by 31 December."""
    return Slot(str(today.year), date(today.year, 12, 31))


def budget_allocation(today: date, policy: DutyPolicy) -> Slot | None:
    """The budget support allocated at the start of the fiscal year (default by 31 January)."""
    return _if_not_passed(Slot(str(today.year), on(today.year, policy.budget_allocation_due)),
                          today)


def proposal_deadline(today: date, policy: DutyPolicy) -> Slot | None:
    """A case in pembangunan/pengusulan is proposed by the year's deadline (default 31 May)."""
    return _if_not_passed(Slot(str(today.year), policy.proposal_deadline(today.year)), today)


def quarter(today: date) -> Quarter:
    index = (today.month - 1) // 3
    start = date(today.year, 3 * index + 1, 1)
    following = date(today.year + 1, 1, 1) if index == 3 else date(today.year, 3 * index + 4, 1)
    return Quarter(f"{today.year}-Q{index + 1}", start, following - timedelta(days=1))


def maintenance_check(today: date, designated_on: date) -> Slot | None:
    """While a predicate is held: a check each quarter that began after the designation."""
    current = quarter(today)
    return Slot(current.period, current.end) if designated_on < current.start else None


def monitoring_report(today: date, designated_on: date, every_years: int = 2) -> Slot:
    """90/2021: a TPI monitoring report every 2 years after designation; the current cycle
    is the first whose due date has not passed (the next cycle starts the day after)."""
    cycle = 1
    while add_years(designated_on, cycle * every_years) < today:
        cycle += 1
    return Slot(f"cycle:{cycle}", add_years(designated_on, cycle * every_years))


def improvement_plan(today: date, returned_on: date, seq: int, days: int) -> Slot | None:
    """After tpi_return / tpn_return (audit event ``seq``) an improvement plan within ``days``."""
    return _if_not_passed(Slot(f"return:{seq}", returned_on + timedelta(days=days)), today)


def reminder_windows(today: date, offsets: tuple[int, ...]) -> list[ReminderWindow]:
    """For each offset, the due dates for which it is today's most recent passed reminder."""
    windows, previous = [], -1
    for offset in sorted(set(offsets)):
        windows.append(ReminderWindow(offset, today + timedelta(days=previous + 1),
                                      today + timedelta(days=offset)))
        previous = offset
    return windows


def reminder_offset(today: date, due: date, offsets: tuple[int, ...]) -> int | None:
    """The reminder an open duty due ``due`` should have received by ``today``, if any."""
    left = (due - today).days
    passed = [offset for offset in offsets if offset >= left >= 0]
    return min(passed) if passed else None


def is_overdue(today: date, due: date) -> bool:
    return due < today


def escalation_cutoff(today: date, days: int) -> date:
    """Overdue duties due before this date are escalated to the inspectorate."""
    return today - timedelta(days=days)
