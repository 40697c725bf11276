"""The sweep: duties created, marked overdue and reminded exactly once, whatever the clock does.

Time is injected (``sweep(now)``); the scheduler's daily run is 00:05 WIB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.api.helpers import REG_52
from workflow import duties
from workflow import duty_calendar as cal
from workflow.audit import append_event
from workflow.clock import JAKARTA, jakarta_date
from workflow.db import db
from workflow.models import Case, Duty, OutboxMessage, Unit, User, user_unit
from workflow.sweep import SWEEP_LOCK_KEY, sweep

OFFSETS = {30, 14, 7, 1}


def at(day: date, hour: int = 0, minute: int = 5) -> datetime:
    return datetime.combine(day, time(hour, minute), JAKARTA)


def each_day(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def make_case(unit: Unit, state: str, designated: datetime | None = None,
              target: str = "WBK") -> Case:
    case = Case(unit_id=unit.id, target=target, year=2025, regulation=REG_52, state=state,
                designated_at=designated)
    db.session.add(case)
    db.session.commit()
    return case


def user(world, who: str) -> User:
    found = db.session.get(User, world.user_ids[who])
    assert found is not None
    return found


def duty_rows() -> dict[tuple[str, str, str], Duty]:
    rows = db.session.execute(select(Duty)).scalars()
    return {(d.kind, d.subject, d.period): d for d in rows}


def outbox() -> list[OutboxMessage]:
    return list(db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def counts() -> tuple[int, int]:
    return (db.session.execute(select(func.count(Duty.id))).scalar_one(),
            db.session.execute(select(func.count(OutboxMessage.id))).scalar_one())


def test_a_year_of_daily_sweeps_yields_exactly_the_expected_duties_and_messages(app, world):
    u1, u2 = world.unit, world.other_unit
    building = make_case(u1, "pembangunan")
    held = make_case(u2, "penetapan", designated=at(date(2024, 7, 15), 10))
    coordinator, other = user(world, "coordinator"), user(world, "other_coordinator")
    inspector = user(world, "inspectorate")

    def key(kind: str, subject: str, period: str) -> Duty:
        return duty_rows()[(kind, subject, period)]

    for day in each_day(date(2026, 1, 1), date(2026, 12, 31)):
        report = sweep(at(day))
        assert report.skipped is None
        noon = at(day, 12)
        if day == date(2026, 1, 20):
            duties.submit(coordinator, key("budget_allocation", f"unit:{u1.id}", "2026").id,
                          "Anggaran ZI dialokasikan", ["dipa-2026.pdf"], now=noon)
        elif day == date(2026, 2, 2):
            duties.acknowledge(inspector, key("budget_allocation", f"unit:{u1.id}", "2026").id,
                               now=noon)
        elif day == date(2026, 3, 10):
            append_event(building, inspector, "tpi_return", "pengusulan", "Perbaiki area 3",
                         noon)
            db.session.commit()
        elif day == date(2026, 3, 20):
            duties.submit(other, key("maintenance_check", f"case:{held.id}", "2026-Q1").id,
                          "Pemeliharaan Q1", now=noon)
        elif day == date(2026, 6, 1):
            duties.submit(coordinator, key("improvement_plan", f"case:{building.id}",
                                           "return:1").id, "Rencana perbaikan", now=noon)

    unit1, unit2 = f"unit:{u1.id}", f"unit:{u2.id}"
    case_a, case_b = f"case:{building.id}", f"case:{held.id}"
    # (kind, subject, period): (due, final state, reminder offsets, overdue notice, escalated)
    expected = {
        ("budget_allocation", unit1, "2026"): (date(2026, 1, 31), "acknowledged", {30, 14},
                                               False, False),
        ("year_end_report", unit1, "2026"): (date(2026, 12, 31), "open", OFFSETS, False, False),
        ("proposal_deadline", case_a, "2026"): (date(2026, 5, 31), "overdue", OFFSETS, True,
                                                True),
        ("improvement_plan", case_a, "return:1"): (date(2026, 6, 8), "submitted", {30, 14, 7},
                                                   False, False),
        ("budget_allocation", unit2, "2026"): (date(2026, 1, 31), "overdue", OFFSETS, True,
                                               True),
        ("year_end_report", unit2, "2026"): (date(2026, 12, 31), "open", OFFSETS, False, False),
        ("maintenance_check", case_b, "2026-Q1"): (date(2026, 3, 31), "submitted", {30, 14},
                                                   False, False),
        ("maintenance_check", case_b, "2026-Q2"): (date(2026, 6, 30), "overdue", OFFSETS, True,
                                                   True),
        ("maintenance_check", case_b, "2026-Q3"): (date(2026, 9, 30), "overdue", OFFSETS, True,
                                                   True),
        ("maintenance_check", case_b, "2026-Q4"): (date(2026, 12, 31), "open", OFFSETS, False,
                                                   False),
        ("tpi_monitoring_report", case_b, "cycle:1"): (date(2026, 7, 15), "overdue", OFFSETS,
                                                       True, True),
        ("tpi_monitoring_report", case_b, "cycle:2"): (date(2028, 7, 15), "open", set(), False,
                                                       False),
    }
    rows = duty_rows()
    assert {k: (d.due_date, d.state) for k, d in rows.items()} == {
        k: (due, state) for k, (due, state, *_) in expected.items()}
    assert rows[("budget_allocation", unit1, "2026")].evidence == ["dipa-2026.pdf"]

    coordinators = {u1.id: coordinator.id, u2.id: other.id}
    inspectors = {world.user_ids["inspectorate"], world.user_ids["conflicted_inspectorate"]}
    wanted = set()
    for k, (_due, state, offsets, overdue, escalated) in expected.items():
        duty = rows[k]
        to = coordinators[duty.unit_id]
        if state in ("submitted", "acknowledged"):  # the report was handed in
            wanted |= {f"duty:{duty.id}:submitted:user:{uid}" for uid in inspectors}
        wanted |= {f"duty:{duty.id}:reminder:{o}:user:{to}" for o in offsets}
        if overdue:
            wanted.add(f"duty:{duty.id}:overdue:user:{to}")
        if escalated:
            wanted |= {f"duty:{duty.id}:escalation:user:{uid}" for uid in inspectors}
    messages = outbox()
    assert Counter(m.idempotency_key for m in messages) == Counter(wanted)

    by_id = {d.id: d for d in rows.values()}
    for message in messages:
        duty = by_id[message.context["duty_id"]]
        sent_on = jakarta_date(message.created_at)
        assert message.context["due_date"] == duty.due_date.isoformat()
        assert message.context["link"] == f"/tugas/{duty.id}"
        assert message.context["unit_name"] == duty.unit.name
        assert message.status == "pending" and message.language == "id"
        if message.template == "duty_reminder":
            # a daily sweep sends each offset on its own day
            assert sent_on == duty.due_date - timedelta(days=message.context["offset_days"])
        elif message.template == "duty_overdue":
            assert sent_on == duty.due_date + timedelta(days=1)
        elif message.template == "duty_submitted":
            assert duty.submitted_at is not None
            assert message.recipient_user_id in inspectors
        else:
            assert message.template == "duty_escalation"
            assert sent_on == duty.due_date + timedelta(days=8)
            assert message.recipient_user_id in inspectors

    again = sweep(at(date(2026, 12, 31), 23, 59))
    assert (again.created_total, again.overdue, again.queued_total) == (0, 0, 0)


def test_a_sweep_skipped_for_ten_days_catches_up_once(app, world):
    make_case(world.unit, "pembangunan")
    sweeps = [*each_day(date(2026, 11, 20), date(2026, 11, 25)),   # then 10 days without
              *each_day(date(2026, 12, 6), date(2026, 12, 28)),    # then past the due date
              date(2027, 1, 12), date(2027, 1, 12)]
    for day in sweeps:
        sweep(at(day))
    report = duty_rows()[("year_end_report", f"unit:{world.unit.id}", "2026")]
    mine = [m for m in outbox() if m.context["duty_id"] == report.id]
    sent = {(m.context["offset_days"] if m.template == "duty_reminder"
             else m.template.removeprefix("duty_")): jakarta_date(m.created_at) for m in mine}
    assert sent == {
        30: date(2026, 12, 6),       # due on 1 December, caught up once on the 6th
        14: date(2026, 12, 17),
        7: date(2026, 12, 24),
        "overdue": date(2027, 1, 12),    # the 1-day reminder went stale while skipped
        "escalation": date(2027, 1, 12),
    }
    assert len(mine) == 3 + 1 + 2   # 3 reminders, 1 overdue notice, 2 inspectors escalated
    assert report.state == "overdue"


def test_running_the_sweep_twice_creates_and_queues_nothing_the_second_time(app, world):
    make_case(world.unit, "pembangunan")
    make_case(world.other_unit, "penetapan", designated=at(date(2024, 2, 1)))
    first = sweep(at(date(2026, 1, 31), 9))
    assert first.created_total == 7 and first.queued_total > 0
    before = counts()
    second = sweep(at(date(2026, 1, 31), 9))
    assert (second.created_total, second.closed, second.overdue, second.queued_total) == (
        0, 0, 0, 0)
    assert counts() == before
    assert "created 0" in str(second)


def test_a_unit_without_an_open_case_has_no_duties(app, world):
    make_case(world.foreign_unit, "ditarik")
    assert sweep(at(date(2026, 1, 1))).created_total == 0
    assert counts() == (0, 0)


@pytest.mark.parametrize(("designated", "today"), [
    (datetime(2024, 7, 15, 3, tzinfo=UTC), date(2026, 1, 1)),
    (datetime(2024, 7, 15, 3, tzinfo=UTC), date(2026, 7, 16)),
    (datetime(2024, 2, 29, 3, tzinfo=UTC), date(2026, 1, 1)),       # due 28 Feb 2026
    (datetime(2024, 2, 29, 3, tzinfo=UTC), date(2026, 3, 1)),       # then 29 Feb 2028
    (datetime(2024, 12, 31, 17, 30, tzinfo=UTC), date(2026, 12, 31)),  # 1 Jan 2025 in WIB
    (datetime(2019, 5, 2, 3, tzinfo=UTC), date(2026, 6, 1)),        # cycle 4
    (datetime(2026, 1, 5, 3, tzinfo=UTC), date(2026, 2, 1)),        # designated this year
])
def test_monitoring_cycles_in_sql_match_the_calendar(app, world, designated, today):
    case = make_case(world.other_unit, "penetapan", designated=designated)
    sweep(at(today))
    [row] = [d for d in duty_rows().values() if d.kind == "tpi_monitoring_report"]
    slot = cal.monitoring_report(today, jakarta_date(designated))
    assert (row.subject, row.period, row.due_date) == (f"case:{case.id}", slot.period, slot.due)


def test_improvement_plan_counts_days_from_the_jakarta_date_of_the_return(app, world):
    case = make_case(world.unit, "pembangunan")
    append_event(case, user(world, "inspectorate"), "tpn_return", "reviu_tpn", "Kurang",
                 datetime(2026, 3, 9, 18, tzinfo=UTC))  # 10 March, 01:00 WIB
    db.session.commit()
    sweep(at(date(2026, 3, 10), 8))
    plan = duty_rows()[("improvement_plan", f"case:{case.id}", "return:1")]
    assert plan.due_date == date(2026, 6, 8) and plan.case_id == case.id


def test_closed_cases_waive_their_duties_and_a_tpi_approval_meets_the_deadline(app, world):
    withdrawn = make_case(world.unit, "pembangunan")
    approved = make_case(world.other_unit, "pembangunan")
    sweep(at(date(2026, 2, 1)))
    withdrawn.state = "ditarik"
    approved.state = "reviu_tpn"
    append_event(approved, user(world, "inspectorate"), "tpi_approve", "pengusulan", None,
                 at(date(2026, 3, 1), 10))
    db.session.commit()
    report = sweep(at(date(2026, 3, 2)))
    rows = duty_rows()
    assert report.closed == 2
    assert rows[("proposal_deadline", f"case:{withdrawn.id}", "2026")].state == "waived"
    assert rows[("proposal_deadline", f"case:{approved.id}", "2026")].state == "acknowledged"
    # the unit's own yearly duties stay: the year was spent building
    assert rows[("year_end_report", f"unit:{world.unit.id}", "2026")].state == "open"


def test_a_second_sweeper_is_kept_out_while_one_runs(app, world, database_url):
    """PostgreSQL: an advisory lock held elsewhere makes the sweep skip. SQLite serialises
    writers, so the same guarantee is checked sequentially: the second run does nothing."""
    make_case(world.unit, "pembangunan")
    now = at(date(2026, 1, 1))
    if db.engine.dialect.name == "postgresql":
        other = create_engine(db.engine.url)
        with other.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SWEEP_LOCK_KEY})
            held = sweep(now)
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SWEEP_LOCK_KEY})
        other.dispose()
        assert held.skipped == "locked" and "skipped: locked" in str(held)
        assert counts() == (0, 0)
        assert sweep(now).created_total == 3
    else:
        assert sweep(now).created_total == 3
        assert sweep(now).created_total == 0
    assert counts()[0] == 3


def test_three_sweeper_processes_at_once_create_each_duty_and_message_once(
        app, world, database_url, tmp_path):
    units = [world.unit, world.other_unit]
    for n in range(20):
        unit = Unit(instansi_id=world.instansi.id, name=f"Unit P{n}", code=f"P{n}", eselon=3)
        db.session.add(unit)
        db.session.flush()
        units.append(unit)
        db.session.execute(user_unit.insert().values(user_id=world.user_ids["coordinator"],
                                                     unit_id=unit.id))
    db.session.commit()
    for unit in units:
        make_case(unit, "pembangunan")
    db.session.remove()

    env = {**os.environ, "DATABASE_URL": database_url, "ZI_INSTANCE_PATH": str(tmp_path)}
    zi = str(Path(sys.executable).with_name("zi"))
    command = [zi, "sweep", "--now", "2026-01-01T00:05:00+07:00"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs

    # per unit: year-end report, budget allocation, proposal deadline; one 30-day
    # budget reminder per unit to its coordinator
    assert counts() == (3 * len(units), len(units))
    created = sum(int(re.search(r"created (\d+)", out).group(1)) for out, _ in outputs
                  if "skipped" not in out)
    assert created == 3 * len(units)
    keys = [m.idempotency_key for m in outbox()]
    assert len(set(keys)) == len(keys) == len(units)


@pytest.mark.parametrize("after", ["submit_to_tpi", "designate"])
def test_an_improvement_plan_closes_when_the_case_is_submitted_again_and_is_not_escalated(
        app, world, after):
    case = make_case(world.unit, "pembangunan")
    inspector = user(world, "inspectorate")
    append_event(case, inspector, "tpi_return", "pengusulan", "Perbaiki", at(date(2026, 3, 1)))
    db.session.commit()
    sweep(at(date(2026, 3, 2)))
    key = ("improvement_plan", f"case:{case.id}", "return:1")
    assert duty_rows()[key].state == "open"
    case.state = "pengusulan" if after == "submit_to_tpi" else "penetapan"
    append_event(case, user(world, "coordinator"), after, "pembangunan", None,
                 at(date(2026, 4, 1)))
    db.session.commit()
    report = sweep(at(date(2026, 7, 15)))  # past the due date and the escalation cutoff
    plan = duty_rows()[key]
    assert plan.state == "acknowledged" and report.closed >= 1
    assert not [m for m in outbox() if m.context.get("duty_id") == plan.id
                and m.template in ("duty_overdue", "duty_escalation")]


def test_an_improvement_plan_is_not_created_for_a_return_already_answered(app, world):
    case = make_case(world.unit, "pengusulan")
    append_event(case, user(world, "inspectorate"), "tpi_return", "pengusulan", "Perbaiki",
                 at(date(2026, 3, 1)))
    append_event(case, user(world, "coordinator"), "submit_to_tpi", "pembangunan", None,
                 at(date(2026, 3, 5)))
    db.session.commit()
    sweep(at(date(2026, 3, 6)))  # the first sweep since the return
    assert not [d for d in duty_rows().values() if d.kind == "improvement_plan"]


def test_a_revoked_predicate_waives_its_maintenance_check(app, world):
    held = make_case(world.other_unit, "penetapan", designated=at(date(2025, 7, 15), 10))
    sweep(at(date(2026, 2, 1)))
    check = ("maintenance_check", f"case:{held.id}", "2026-Q1")
    assert duty_rows()[check].state == "open"
    held.state = "dicabut"
    db.session.commit()
    sweep(at(date(2026, 2, 2)))
    assert duty_rows()[check].state == "waived"
