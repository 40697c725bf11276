"""The sweep's shortcut: a second sweep the same Jakarta day stops early when nothing it reads
changed (``sweep_mark``), and never when something did.

Each change below happens between two sweeps of one day; the second sweep must do the work
it brings, and afterwards a sweep with the shortcut turned off must find nothing left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from tests.perf.test_statement_budget import counted
from tests.workflow.test_sweep import at, duty_rows, make_case, outbox, user
from workflow import duties
from workflow import sweep as sweep_module
from workflow.audit import append_event
from workflow.db import db
from workflow.models import Case, Duty, Unit, sweep_mark, user_unit
from workflow.settings import current_duty_policy
from workflow.sweep import SweepReport, sweep

DAY = date(2026, 12, 17)  # the 14-day reminders of the duties due on 31 December


def full_sweep(now: datetime, monkeypatch: pytest.MonkeyPatch) -> SweepReport:
    """A sweep that never takes the shortcut: the reference for what is left to do."""
    with monkeypatch.context() as patch:
        patch.setattr(sweep_module._Sweeper, "unchanged", lambda self: False)
        return sweep(now)


def did_nothing(report: SweepReport) -> bool:
    return (report.created_total, report.closed, report.overdue, report.queued_total) == (
        0, 0, 0, 0)


def keys() -> set[str]:
    return {m.idempotency_key for m in outbox()}


def test_a_second_sweep_the_same_day_with_nothing_changed_reads_and_stops(app, world,
                                                                         monkeypatch):
    make_case(world.unit, "pembangunan")
    make_case(world.other_unit, "penetapan", designated=at(date(2025, 3, 1)))
    first = sweep(at(DAY, 1))
    assert first.created_total == 4 and first.queued_total == 3 and not first.unchanged
    with counted() as statements:
        second = sweep(at(DAY, 23, 59))
    assert second.unchanged and did_nothing(second) and second.skipped is None
    assert "nothing changed since the last sweep today" in str(second)
    # the mark, then one fingerprint: no INSERT, UPDATE or probe of any candidate
    reads = [s for s in statements if not s.startswith(("SET LOCAL", "SELECT pg_try"))]
    assert len(reads) == 2, statements
    assert not [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert did_nothing(full_sweep(at(DAY, 23, 59), monkeypatch))


def _nothing(world, cases: dict[str, Case]) -> None:
    pass


def _assign_coordinator(world, cases: dict[str, Case]) -> None:
    db.session.execute(user_unit.insert().values(
        user_id=world.user_ids["coordinator"], unit_id=world.other_unit.id))
    db.session.commit()


def _open_case(world, cases: dict[str, Case]) -> None:
    make_case(world.other_unit, "pembangunan")


def _revoke_predicate(world, cases: dict[str, Case]) -> None:
    cases["held"].state = "dicabut"
    db.session.commit()


def _return_case(world, cases: dict[str, Case]) -> None:
    append_event(cases["building"], user(world, "inspectorate"), "tpi_return", "pengusulan",
                 "Perbaiki", at(DAY, 10))
    db.session.commit()


def _deactivate_coordinator(world, cases: dict[str, Case]) -> None:
    user(world, "other_coordinator").active = False
    db.session.commit()


def _reactivate_coordinator(world, cases: dict[str, Case]) -> None:
    user(world, "other_coordinator").active = True
    db.session.commit()


def _make_coordinator(world, cases: dict[str, Case]) -> None:
    user(world, "tpn").role = "coordinator"
    db.session.commit()


def _write_duty_by_hand(world, cases: dict[str, Case]) -> None:
    unit = world.foreign_unit
    db.session.add(Duty(kind="year_end_report", unit_id=unit.id, subject=f"unit:{unit.id}",
                        period="2026", due_date=date(2026, 12, 31), state="open",
                        created_at=at(DAY, 10)))
    db.session.commit()


def _overdue_duty_by_hand(world, cases: dict[str, Case]) -> None:
    """Overdue past the escalation cutoff: escalated to the unit's instansi's inspectorate."""
    unit = world.unit
    db.session.add(Duty(kind="budget_allocation", unit_id=unit.id, subject=f"unit:{unit.id}",
                        period="2026", due_date=date(2026, 12, 1), state="open",
                        created_at=at(date(2026, 11, 1))))
    db.session.commit()


def _move_unit(world, cases: dict[str, Case]) -> None:
    unit = db.session.get(Unit, world.unit.id)
    assert unit is not None
    unit.instansi_id = world.foreign_unit.instansi_id
    db.session.commit()


# name: (set-up before the first sweep, the change after it, what the second sweep must
# then do at least: created, closed, queued). The reminder offsets are set by the test.
CHANGES: dict[str, tuple[Callable[..., None], Callable[..., None], tuple[int, int, int]]] = {
    "a coordinator assigned": (_nothing, _assign_coordinator, (0, 0, 2)),
    "a case opened": (_nothing, _open_case, (1, 0, 1)),
    "a predicate revoked": (_nothing, _revoke_predicate, (0, 2, 0)),
    "a case returned": (_nothing, _return_case, (1, 0, 0)),
    "a coordinator reactivated": (_deactivate_coordinator, _reactivate_coordinator, (0, 0, 2)),
    "a user made coordinator": (_nothing, _make_coordinator, (0, 0, 1)),
    "a duty written by hand": (_nothing, _write_duty_by_hand, (0, 0, 1)),
    "the reminder offsets changed": (_nothing, _nothing, (0, 0, 1)),
    "a unit moved to another instansi": (_overdue_duty_by_hand, _move_unit, (0, 0, 1)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_between_two_sweeps_of_a_day_is_swept_by_the_second(app, world, monkeypatch,
                                                                    change):
    """World: a building case in U1, a held predicate in U2 (unless the change opens a
    case there), the TPN user linked to U1 and U1's coordinator to the foreign unit."""
    cases = {"building": make_case(world.unit, "pembangunan")}
    if change != "a case opened":
        cases["held"] = make_case(world.other_unit, "penetapan", designated=at(date(2025, 3, 1)))
    before_first, act, (created, closed, queued) = CHANGES[change]
    before_first(world, cases)
    db.session.execute(user_unit.insert().values(user_id=world.user_ids["tpn"],
                                                 unit_id=world.unit.id))
    db.session.execute(user_unit.insert().values(user_id=world.user_ids["coordinator"],
                                                 unit_id=world.foreign_unit.id))
    db.session.commit()
    first = sweep(at(DAY, 1))
    assert first.created_total > 0 and first.queued_total > 0
    assert sweep(at(DAY, 2)).unchanged  # the shortcut is there to be defeated
    before = keys()

    act(world, cases)
    if change == "the reminder offsets changed":
        monkeypatch.setitem(app.config, "REMINDER_OFFSETS_DAYS", [30, 20, 7, 1])
        assert current_duty_policy().reminder_offsets_days == (30, 20, 7, 1)
    second = sweep(at(DAY, 15))

    assert not second.unchanged
    assert second.created_total >= created and second.closed >= closed
    assert second.queued_total >= queued and len(keys() - before) >= queued
    assert did_nothing(full_sweep(at(DAY, 16), monkeypatch))
    assert sweep(at(DAY, 17)).unchanged  # and the next one stops early again


def test_a_duty_handed_in_between_two_sweeps_keeps_the_shortcut_and_is_not_reminded(
        app, world, monkeypatch):
    make_case(world.unit, "pembangunan")
    sweep(at(DAY, 1))
    report = duty_rows()[("year_end_report", f"unit:{world.unit.id}", "2026")]
    duties.submit(user(world, "coordinator"), report.id, "Laporan akhir tahun", now=at(DAY, 9))
    before = keys()
    second = sweep(at(DAY, 15))
    assert second.unchanged and keys() == before
    assert did_nothing(full_sweep(at(DAY, 16), monkeypatch))
    assert db.session.get(Duty, report.id).state == "submitted"  # type: ignore[union-attr]


def test_the_first_sweep_after_midnight_wib_does_the_new_days_work(app, world, monkeypatch):
    make_case(world.unit, "pembangunan")
    sweep(at(date(2026, 12, 31), 23, 0))
    assert sweep(at(date(2026, 12, 31), 23, 59)).unchanged
    new_year = sweep(at(date(2027, 1, 1), 0, 5))
    assert not new_year.unchanged and new_year.today == date(2027, 1, 1)
    assert new_year.overdue == 1 and new_year.created_total == 3  # 2027's report, budget, deadline
    assert duty_rows()[("year_end_report", f"unit:{world.unit.id}", "2026")].state == "overdue"
    assert did_nothing(full_sweep(at(date(2027, 1, 1), 1), monkeypatch))


def test_a_mark_of_another_day_is_not_trusted(app, world):
    make_case(world.unit, "pembangunan")
    sweep(at(DAY))
    sweep(at(date(2026, 12, 18)))
    again = sweep(at(DAY, 12))  # an operator's catch-up sweep of an earlier day
    assert not again.unchanged and did_nothing(again)
    assert sweep(at(DAY, 13)).unchanged


def test_a_failed_sweep_leaves_no_mark(app, world, monkeypatch):
    make_case(world.unit, "pembangunan")

    def fail(self):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(sweep_module._Sweeper, "queue_messages", fail)
        with pytest.raises(RuntimeError):
            sweep(at(DAY, 1))
    assert db.session.execute(select(sweep_mark.c.day)).first() is None
    assert duty_rows() == {} and outbox() == []
    again = sweep(at(DAY, 2))
    assert not again.unchanged and again.created_total == 1 and again.queued_total == 1


def test_one_sweep_leaves_nothing_for_the_next_even_a_deadline_met_before_its_duty(
        app, world, monkeypatch):
    """A case approved by the TPI this year and back in pembangunan before any sweep saw
    it: its proposal deadline is created and met in the same sweep, never reminded."""
    case = make_case(world.unit, "pembangunan")
    append_event(case, user(world, "inspectorate"), "tpi_approve", "pengusulan", None,
                 at(date(2026, 5, 1), 10))
    db.session.commit()
    first = sweep(at(date(2026, 5, 20)))
    deadline = duty_rows()[("proposal_deadline", f"case:{case.id}", "2026")]
    assert deadline.state == "acknowledged" and first.closed == 1
    assert not [m for m in outbox() if m.context["duty_id"] == deadline.id]
    assert did_nothing(full_sweep(at(date(2026, 5, 20), 12), monkeypatch))


def test_what_the_sweep_reads_cannot_change_under_it(app, world, monkeypatch):
    """By the time a sweep fingerprints its inputs, the tables without a growing version are
    held until it commits: a coordinator assigned meanwhile waits (PostgreSQL) or is turned
    away (SQLite); the next sweep sees the assignment."""
    make_case(world.unit, "pembangunan")
    assign = user_unit.insert().values(user_id=world.user_ids["coordinator"],
                                       unit_id=world.other_unit.id)
    postgresql = db.engine.dialect.name == "postgresql"
    other = create_engine(db.engine.url, **({} if postgresql else
                                           {"connect_args": {"timeout": 0.2}}))
    fingerprint = sweep_module._Sweeper.inputs
    tried: list[str] = []

    def assign_meanwhile(self):
        if not tried:
            with other.connect() as conn, pytest.raises(OperationalError) as raised:
                if postgresql:
                    conn.execute(text("SET lock_timeout = '200ms'"))
                conn.execute(assign)
                conn.commit()
            tried.append(str(raised.value.orig))
        return fingerprint(self)

    sweeper = sweep_module._Sweeper(at(DAY), DAY, current_duty_policy())
    assert sweeper.lock()
    with monkeypatch.context() as patch:
        patch.setattr(sweep_module._Sweeper, "inputs", assign_meanwhile)
        sweeper.freeze_inputs()
    db.session.rollback()
    other.dispose()
    assert tried and ("lock timeout" in tried[0] if postgresql else "locked" in tried[0])
