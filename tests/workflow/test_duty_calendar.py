"""The duty calendar's pure date rules (DOMAIN.md: Duties of a building unit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflow import duty_calendar as cal
from workflow.duty_calendar import DutyPolicy, ReminderWindow, Slot

POLICY = DutyPolicy()


def test_year_end_report_is_due_31_december_of_the_fiscal_year():
    assert cal.year_end_report(date(2026, 3, 4)) == Slot("2026", date(2026, 12, 31))
    assert cal.year_end_report(date(2026, 12, 31)) == Slot("2026", date(2026, 12, 31))


def test_budget_allocation_at_the_start_of_the_year_and_never_born_overdue():
    assert cal.budget_allocation(date(2026, 1, 1), POLICY) == Slot("2026", date(2026, 1, 31))
    assert cal.budget_allocation(date(2026, 1, 31), POLICY) == Slot("2026", date(2026, 1, 31))
    assert cal.budget_allocation(date(2026, 2, 1), POLICY) is None
    later = DutyPolicy(budget_allocation_due="03-15")
    assert cal.budget_allocation(date(2026, 2, 1), later) == Slot("2026", date(2026, 3, 15))


def test_proposal_deadline_is_31_may_unless_configured_for_the_year():
    policy = DutyPolicy(proposal_deadlines={2027: "06-30"})
    assert cal.proposal_deadline(date(2026, 5, 31), policy) == Slot("2026", date(2026, 5, 31))
    assert cal.proposal_deadline(date(2026, 6, 1), policy) is None
    assert cal.proposal_deadline(date(2027, 6, 1), policy) == Slot("2027", date(2027, 6, 30))


@pytest.mark.parametrize(("day", "period", "start", "end"), [
    (date(2026, 1, 1), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 6, 30), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 8, 15), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
])
def test_quarters(day, period, start, end):
    assert cal.quarter(day) == cal.Quarter(period, start, end)


def test_maintenance_check_each_quarter_that_began_after_the_designation():
    assert cal.maintenance_check(date(2026, 2, 1), date(2026, 1, 15)) is None
    assert cal.maintenance_check(date(2026, 4, 1), date(2026, 1, 15)) == Slot(
        "2026-Q2", date(2026, 6, 30))
    assert cal.maintenance_check(date(2026, 1, 1), date(2025, 12, 31)) == Slot(
        "2026-Q1", date(2026, 3, 31))


def test_monitoring_report_every_two_years_after_designation():
    designated = date(2024, 7, 15)
    assert cal.monitoring_report(date(2024, 7, 15), designated) == Slot(
        "cycle:1", date(2026, 7, 15))
    assert cal.monitoring_report(date(2026, 7, 15), designated) == Slot(
        "cycle:1", date(2026, 7, 15))
    assert cal.monitoring_report(date(2026, 7, 16), designated) == Slot(
        "cycle:2", date(2028, 7, 15))
    assert cal.monitoring_report(date(2031, 1, 1), designated).period == "cycle:4"


def test_a_29_february_designation_falls_back_to_28_february():
    assert cal.add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert cal.add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert cal.monitoring_report(date(2026, 3, 1), date(2024, 2, 29)) == Slot(
        "cycle:2", date(2028, 2, 29))


def test_improvement_plan_within_the_configured_days_after_a_return():
    assert cal.improvement_plan(date(2026, 3, 1), date(2026, 3, 1), 7, 90) == Slot(
        "return:7", date(2026, 5, 30))
    assert cal.improvement_plan(date(2026, 5, 31), date(2026, 3, 1), 7, 90) is None


def test_reminder_windows_partition_the_next_days_by_offset():
    today = date(2026, 12, 1)
    assert cal.reminder_windows(today, (30, 14, 7, 1)) == [
        ReminderWindow(1, date(2026, 12, 1), date(2026, 12, 2)),
        ReminderWindow(7, date(2026, 12, 3), date(2026, 12, 8)),
        ReminderWindow(14, date(2026, 12, 9), date(2026, 12, 15)),
        ReminderWindow(30, date(2026, 12, 16), date(2026, 12, 31)),
    ]


def test_a_daily_reminder_sequence_sends_each_offset_on_its_day():
    due, offsets = date(2026, 12, 31), (30, 14, 7, 1)
    sent: list[tuple[date, int]] = []
    for day in (due - timedelta(days=n) for n in range(40, -1, -1)):
        offset = cal.reminder_offset(day, due, offsets)
        if offset is not None and offset not in {o for _, o in sent}:
            sent.append((day, offset))
    assert sent == [(date(2026, 12, 1), 30), (date(2026, 12, 17), 14),
                    (date(2026, 12, 24), 7), (date(2026, 12, 30), 1)]


def test_a_catch_up_sends_only_the_most_recent_passed_offset():
    due = date(2026, 12, 31)
    assert cal.reminder_offset(date(2026, 12, 20), due, (30, 14, 7, 1)) == 14
    assert cal.reminder_offset(date(2026, 12, 31), due, (30, 14, 7, 1)) == 1
    assert cal.reminder_offset(date(2026, 11, 30), due, (30, 14, 7, 1)) is None
    assert cal.reminder_offset(date(2027, 1, 1), due, (30, 14, 7, 1)) is None


def test_overdue_after_the_due_date_and_escalation_after_seven_more_days():
    due = date(2026, 1, 31)
    assert not cal.is_overdue(date(2026, 1, 31), due)
    assert cal.is_overdue(date(2026, 2, 1), due)
    assert not due < cal.escalation_cutoff(date(2026, 2, 7), 7)
    assert due < cal.escalation_cutoff(date(2026, 2, 8), 7)


def test_jakarta_midnight_is_17_00_utc_the_day_before():
    assert cal.jakarta_midnight(date(2026, 4, 1)) == datetime(2026, 3, 31, 17, tzinfo=UTC)
