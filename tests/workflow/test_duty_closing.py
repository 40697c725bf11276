"""Issue 9, part 6: each kind of duty closes when the reason for it ends, one test per kind,
and a closed duty is neither marked overdue nor reminded, escalated or created again.

Reasons (DOMAIN.md, Duties of a building unit; ``workflow.sweep`` step 1):
- ``budget_allocation``: the unit builds or holds a predicate; waived once none of its
  cases is open any more (every case withdrawn or its predicate revoked).
- ``proposal_deadline``: the case is to be proposed this year; met (acknowledged) by the
  TPI's approval, waived when the case is withdrawn.
- ``maintenance_check`` and ``tpi_monitoring_report``: the predicate is held; waived when
  it is revoked.
- ``improvement_plan``: the unit answers a return; met when the case is submitted again or
  designated, waived when the case is withdrawn.
- ``year_end_report``: the unit built or held a predicate during the year, which a later
  withdrawal or revocation does not undo: that year's report stays due, and no report is
  created for a following year without an open case.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.workflow.test_sweep import at, duty_rows, make_case, outbox, user
from workflow import duty_calendar as cal
from workflow.audit import append_event
from workflow.db import db
from workflow.models import Duty
from workflow.sweep import sweep

CLOSED = ("waived", "acknowledged")


def _only(kind: str) -> Duty:
    [row] = [d for d in duty_rows().values() if d.kind == kind]
    return row


def _quiet_after(duty: Duty) -> None:
    """Past the due date and the escalation cutoff: nothing more about a closed duty."""
    assert not [m for m in outbox() if m.context.get("duty_id") == duty.id
                and m.template in ("duty_overdue", "duty_escalation")]


def test_every_kind_of_duty_has_its_closing_test():
    tested = {"budget_allocation", "proposal_deadline", "maintenance_check",
              "tpi_monitoring_report", "improvement_plan", "year_end_report"}
    assert set(cal.KINDS) == tested


@pytest.mark.parametrize("end", ["ditarik", "dicabut"])
def test_budget_allocation_is_waived_when_the_unit_no_longer_builds_or_holds(app, world, end):
    case = make_case(world.unit, "pembangunan" if end == "ditarik" else "penetapan",
                     designated=at(date(2025, 3, 1)) if end == "dicabut" else None)
    sweep(at(date(2026, 1, 2)))
    assert _only("budget_allocation").state == "open"
    case.state = end
    db.session.commit()
    report = sweep(at(date(2026, 1, 3)))
    duty = _only("budget_allocation")
    assert duty.state == "waived" and report.closed >= 1 and duty.waive_reason
    sweep(at(date(2026, 2, 20)))  # past its due date and the escalation cutoff
    assert _only("budget_allocation").state == "waived"
    _quiet_after(duty)


def test_budget_allocation_stays_while_another_case_of_the_unit_is_open(app, world):
    make_case(world.unit, "penetapan", designated=at(date(2024, 3, 1)))
    withdrawn = make_case(world.unit, "pembangunan", target="WBBM")
    sweep(at(date(2026, 1, 2)))
    withdrawn.state = "ditarik"
    db.session.commit()
    sweep(at(date(2026, 1, 3)))
    assert _only("budget_allocation").state == "open"


@pytest.mark.parametrize("end", ["tpi_approve", "ditarik"])
def test_proposal_deadline_closes_when_proposed_or_withdrawn(app, world, end):
    case = make_case(world.unit, "pengusulan")
    sweep(at(date(2026, 2, 1)))
    assert _only("proposal_deadline").state == "open"
    if end == "tpi_approve":
        case.state = "reviu_tpn"
        append_event(case, user(world, "inspectorate"), "tpi_approve", "pengusulan", None,
                     at(date(2026, 3, 1), 10))
    else:
        case.state = "ditarik"
    db.session.commit()
    sweep(at(date(2026, 6, 15)))  # past 31 May and the escalation cutoff
    duty = _only("proposal_deadline")
    assert duty.state == ("acknowledged" if end == "tpi_approve" else "waived")
    _quiet_after(duty)


@pytest.mark.parametrize("kind", ["maintenance_check", "tpi_monitoring_report"])
def test_duties_of_a_held_predicate_are_waived_when_it_is_revoked(app, world, kind):
    held = make_case(world.other_unit, "penetapan", designated=at(date(2024, 2, 10), 10))
    sweep(at(date(2026, 1, 5)))
    duty = _only(kind)
    assert duty.state == "open"
    held.state = "dicabut"
    db.session.commit()
    sweep(at(date(2026, 1, 6)))
    assert _only(kind).state == "waived"
    sweep(at(date(2026, 4, 20)))  # a new quarter, past the due dates
    assert [d.state for d in duty_rows().values() if d.kind == kind] == ["waived"]
    _quiet_after(duty)


@pytest.mark.parametrize("end", ["submit_to_tpi", "designate", "ditarik"])
def test_an_improvement_plan_closes_on_resubmission_designation_or_withdrawal(app, world, end):
    case = make_case(world.unit, "pembangunan")
    append_event(case, user(world, "inspectorate"), "tpi_return", "pengusulan", "Perbaiki",
                 at(date(2026, 3, 1)))
    db.session.commit()
    sweep(at(date(2026, 3, 2)))
    assert _only("improvement_plan").state == "open"
    if end == "ditarik":
        case.state = "ditarik"
    else:
        case.state = "pengusulan" if end == "submit_to_tpi" else "penetapan"
        append_event(case, user(world, "coordinator"), end, "pembangunan", None,
                     at(date(2026, 4, 1)))
    db.session.commit()
    sweep(at(date(2026, 7, 15)))
    duty = _only("improvement_plan")
    assert duty.state in CLOSED
    assert duty.state == ("waived" if end == "ditarik" else "acknowledged")
    _quiet_after(duty)


def test_a_year_end_report_stays_due_for_the_year_built_and_none_follows(app, world):
    case = make_case(world.unit, "pembangunan")
    sweep(at(date(2026, 2, 1)))
    case.state = "ditarik"
    db.session.commit()
    sweep(at(date(2026, 2, 2)))
    assert duty_rows()[("year_end_report", f"unit:{world.unit.id}", "2026")].state == "open"
    sweep(at(date(2027, 1, 2)))
    assert ("year_end_report", f"unit:{world.unit.id}", "2027") not in duty_rows()
