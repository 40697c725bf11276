"""Duties over HTTP: scope, submit / acknowledge / waive, and the instansi dashboard."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from sqlalchemy import event, select

from tests.api.helpers import REG_52
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.models import Case, Duty, OutboxMessage, Unit, user_unit
from workflow.sweep import sweep

NOW = datetime.combine(date(2026, 1, 2), time(0, 5), JAKARTA)


def add_case(unit_id: int, state: str = "pembangunan") -> None:
    db.session.add(Case(unit_id=unit_id, target="WBK", year=2026, regulation=REG_52,
                        state=state))
    db.session.commit()


@pytest.fixture
def swept(world):
    """Each unit of the world building a case, and the duties the sweep gives them."""
    for unit in (world.unit, world.other_unit, world.foreign_unit):
        add_case(unit.id)
    sweep(NOW)
    return world


def duty_id(world, unit, kind: str = "year_end_report") -> int:
    return db.session.execute(select(Duty.id).where(
        Duty.unit_id == unit.id, Duty.kind == kind)).scalar_one()


def get(client, world, who, path, **params):
    return client.get(path, query_string=params, headers=world.auth(who))


def post(client, world, who, path, body):
    return client.post(path, json=body, headers=world.auth(who))


@pytest.mark.parametrize(("who", "units"), [
    ("coordinator", {"unit"}),
    ("other_coordinator", {"other_unit"}),
    ("inspectorate", {"unit", "other_unit"}),
    ("foreign_inspectorate", {"foreign_unit"}),
    ("tpn", {"unit", "other_unit", "foreign_unit"}),
    ("admin", {"unit", "other_unit", "foreign_unit"}),
])
def test_each_role_lists_the_duties_in_its_scope(client, swept, who, units):
    response = get(client, swept, who, "/api/v1/duties")
    assert response.status_code == 200, response.json
    seen = {d["unit_id"] for d in response.json}
    assert seen == {getattr(swept, name).id for name in units}
    # three duties per unit: year-end report, budget allocation, proposal deadline
    assert len(response.json) == 3 * len(units)
    dues = [d["due_date"] for d in response.json]
    assert dues == sorted(dues)


def test_filters_and_pagination(client, swept):
    unit = swept.unit.id
    response = get(client, swept, "admin", "/api/v1/duties", unit_id=unit,
                   kind="budget_allocation", state="open", year=2026)
    assert [(d["unit_id"], d["kind"], d["due_date"], d["period"]) for d in response.json] == [
        (unit, "budget_allocation", "2026-01-31", "2026")]
    assert get(client, swept, "admin", "/api/v1/duties", year=2027).json == []
    page = get(client, swept, "admin", "/api/v1/duties", page=2, page_size=4)
    assert len(page.json) == 4
    assert '"total": 9' in page.headers["X-Pagination"]
    bad = get(client, swept, "admin", "/api/v1/duties", state="lost")
    assert bad.status_code == 400 and bad.json["code"] == "validation_error"


def test_a_coordinator_cannot_list_another_units_duties(client, swept):
    response = get(client, swept, "coordinator", "/api/v1/duties",
                   unit_id=swept.other_unit.id)
    assert response.status_code == 403 and response.json["code"] == "out_of_scope"
    other = duty_id(swept, swept.other_unit)
    response = get(client, swept, "coordinator", f"/api/v1/duties/{other}")
    assert response.status_code == 403 and response.json["code"] == "out_of_scope"


def test_submit_then_acknowledge(client, swept):
    duty = duty_id(swept, swept.unit)
    response = post(client, swept, "coordinator", f"/api/v1/duties/{duty}/submit",
                    {"report": "Laporan akhir tahun", "evidence": ["laporan.pdf", "foto.jpg"]})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["state"] == "submitted" and body["report"] == "Laporan akhir tahun"
    assert body["evidence"] == ["laporan.pdf", "foto.jpg"]
    assert body["submitted_by"] == swept.user_ids["coordinator"]
    assert body["submitted_at"].endswith("+07:00")
    told = db.session.execute(select(OutboxMessage.recipient_email, OutboxMessage.context)
                              .where(OutboxMessage.template == "duty_submitted")).all()
    assert sorted(email for email, _ in told) == [
        "conflicted_inspectorate@uji.go.id", "inspectorate@uji.go.id"]
    assert all(context["duty_id"] == duty for _, context in told)

    response = post(client, swept, "inspectorate", f"/api/v1/duties/{duty}/acknowledge",
                    {"note": "Diterima"})
    assert response.status_code == 200, response.json
    assert response.json["state"] == "acknowledged"
    assert response.json["acknowledged_by"] == swept.user_ids["inspectorate"]
    assert response.json["acknowledge_note"] == "Diterima"

    for who, action, body in [("coordinator", "submit", {"report": "lagi"}),
                              ("inspectorate", "acknowledge", {}),
                              ("inspectorate", "waive", {"reason": "x"})]:
        again = post(client, swept, who, f"/api/v1/duties/{duty}/{action}", body)
        assert again.status_code == 409, (action, again.json)
        assert again.json["code"] == "transition_not_available"


def test_waive_with_a_reason(client, swept):
    duty = duty_id(swept, swept.unit, "budget_allocation")
    response = post(client, swept, "inspectorate", f"/api/v1/duties/{duty}/waive",
                    {"reason": "Unit dilebur"})
    assert response.status_code == 200, response.json
    assert response.json["state"] == "waived" and response.json["waive_reason"] == "Unit dilebur"
    assert response.json["waived_by"] == swept.user_ids["inspectorate"]
    late = post(client, swept, "coordinator", f"/api/v1/duties/{duty}/submit", {"report": "x"})
    assert late.status_code == 409 and late.json["code"] == "transition_not_available"


def test_an_open_duty_cannot_be_acknowledged(client, swept):
    duty = duty_id(swept, swept.unit)
    response = post(client, swept, "inspectorate", f"/api/v1/duties/{duty}/acknowledge", {})
    assert response.status_code == 409 and response.json["code"] == "transition_not_available"


def test_an_overdue_duty_can_still_be_submitted(client, swept):
    sweep(datetime.combine(date(2026, 2, 1), time(0, 5), JAKARTA))
    duty = duty_id(swept, swept.unit, "budget_allocation")
    assert db.session.get(Duty, duty).state == "overdue"
    response = post(client, swept, "coordinator", f"/api/v1/duties/{duty}/submit",
                    {"report": "Terlambat"})
    assert response.status_code == 200 and response.json["state"] == "submitted"


@pytest.mark.parametrize(("who", "action", "code"), [
    ("other_coordinator", "submit", "out_of_scope"),
    ("inspectorate", "submit", "forbidden_for_role"),
    ("admin", "submit", "forbidden_for_role"),
    ("coordinator", "waive", "forbidden_for_role"),
    ("tpn", "waive", "forbidden_for_role"),
    ("foreign_inspectorate", "waive", "out_of_scope"),
    ("conflicted_inspectorate", "waive", "conflict_of_interest"),
    ("conflicted_inspectorate", "acknowledge", "conflict_of_interest"),
])
def test_refusals_name_the_reason(client, swept, who, action, code):
    duty = duty_id(swept, swept.unit)
    body = {"submit": {"report": "r"}, "waive": {"reason": "r"}, "acknowledge": {}}[action]
    response = post(client, swept, who, f"/api/v1/duties/{duty}/{action}", body)
    assert response.status_code == 403, response.json
    assert response.json["code"] == code
    assert db.session.get(Duty, duty).state == "open"


@pytest.mark.parametrize(("who", "action", "body", "field"), [
    ("coordinator", "submit", {}, "report"),
    ("coordinator", "submit", {"report": ""}, "report"),
    ("coordinator", "submit", {"report": "   "}, "report"),
    ("coordinator", "submit", {"report": "ok", "evidence": "not-a-list"}, "evidence"),
    ("inspectorate", "waive", {}, "reason"),
    ("inspectorate", "waive", {"reason": " "}, "reason"),
])
def test_missing_report_or_reason_is_400(client, swept, who, action, body, field):
    duty = duty_id(swept, swept.unit)
    response = post(client, swept, who, f"/api/v1/duties/{duty}/{action}", body)
    assert response.status_code == 400, response.json
    assert response.json["code"] == "validation_error" and field in response.json["errors"]


def test_an_unknown_duty_is_404(client, swept):
    response = post(client, swept, "coordinator", "/api/v1/duties/999999/submit",
                    {"report": "r"})
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_dashboard_of_the_instansi(client, swept):
    waived = duty_id(swept, swept.other_unit, "budget_allocation")
    post(client, swept, "inspectorate", f"/api/v1/duties/{waived}/waive", {"reason": "x"})
    june = datetime.combine(date(2026, 6, 1), time(0, 5), JAKARTA)
    sweep(june)
    with time_machine.travel(june, tick=False):
        response = get(client, swept, "inspectorate",
                       f"/api/v1/instansi/{swept.instansi.id}/dashboard")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["units"] == 2 and body["today"] == "2026-06-01"
    assert body["cases"] == [{"state": "pembangunan", "target": "WBK", "count": 2}]
    per_kind = {d["kind"]: (d["open"], d["overdue"]) for d in body["duties"]}
    assert per_kind["budget_allocation"] == (0, 1)     # one waived, one overdue
    assert per_kind["proposal_deadline"] == (0, 2)     # 31 May has passed
    assert per_kind["year_end_report"] == (2, 0)
    assert per_kind["maintenance_check"] == (0, 0)
    assert [(d["kind"], d["due_date"]) for d in body["next_deadlines"]] == [
        ("year_end_report", "2026-12-31")] * 2
    assert get(client, swept, "admin",
               f"/api/v1/instansi/{swept.instansi.id}/dashboard").status_code == 200


@pytest.mark.parametrize(("who", "status", "code"), [
    ("coordinator", 403, "forbidden_for_role"),
    ("tpn", 403, "forbidden_for_role"),
    ("foreign_inspectorate", 403, "out_of_scope"),
])
def test_dashboard_refusals(client, world, who, status, code):
    response = get(client, world, who, f"/api/v1/instansi/{world.instansi.id}/dashboard")
    assert response.status_code == status and response.json["code"] == code


def test_dashboard_of_an_unknown_instansi_is_404(client, world):
    response = get(client, world, "admin", "/api/v1/instansi/999999/dashboard")
    assert response.status_code == 404


def _dashboard_statements(client, world, units: int) -> tuple[int, dict]:
    existing = db.session.execute(
        select(Unit).where(Unit.instansi_id == world.instansi.id)).scalars().all()
    for n in range(units - len(existing)):
        unit = Unit(instansi_id=world.instansi.id, name=f"Unit D{n}", code=f"D{n}", eselon=3)
        db.session.add(unit)
        db.session.flush()
        db.session.execute(user_unit.insert().values(user_id=world.user_ids["coordinator"],
                                                     unit_id=unit.id))
        db.session.add(Case(unit_id=unit.id, target=("WBK", "WBBM")[n % 2], year=2026,
                            regulation=REG_52, state=("pembangunan", "pencanangan")[n % 2]))
    db.session.commit()
    sweep(NOW)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = get(client, world, "inspectorate",
                       f"/api/v1/instansi/{world.instansi.id}/dashboard")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.json
    return len(statements), response.json


def test_dashboard_costs_a_fixed_number_of_queries(client, world):
    add_case(world.unit.id)
    add_case(world.other_unit.id)
    small, few = _dashboard_statements(client, world, 2)
    large, many = _dashboard_statements(client, world, 20)
    assert (few["units"], many["units"]) == (2, 20)
    assert len(few["next_deadlines"]) == 6 and len(many["next_deadlines"]) == 10
    assert sum(c["count"] for c in many["cases"]) == 20
    assert small == large
    assert small <= 10


def test_duty_actions_are_audited_with_what_was_handed_in(client, swept):
    from tests.workflow.test_audit import kinds, tamper
    from workflow.audit import verify_chains
    from workflow.models import DutyEvent

    world = swept
    submitted = duty_id(world, world.unit)
    waived = duty_id(world, world.other_unit)
    assert post(client, world, "coordinator", f"/api/v1/duties/{submitted}/submit",
                {"report": "Laporan tahunan", "evidence": ["https://bukti.go.id/1"]}
                ).status_code == 200
    assert post(client, world, "inspectorate", f"/api/v1/duties/{submitted}/acknowledge",
                {"note": "Diterima"}).status_code == 200
    assert post(client, world, "inspectorate", f"/api/v1/duties/{waived}/waive",
                {"reason": "Unit dilebur"}).status_code == 200
    trail = db.session.execute(select(DutyEvent).order_by(DutyEvent.id)).scalars().all()
    assert [(e.duty_id, e.seq, e.action, e.from_state, e.to_state, e.detail) for e in trail] == [
        (submitted, 1, "submit", "open", "submitted",
         {"report": "Laporan tahunan", "evidence": ["https://bukti.go.id/1"]}),
        (submitted, 2, "acknowledge", "submitted", "acknowledged",
         {"acknowledge_note": "Diterima"}),
        (waived, 1, "waive", "open", "waived", {"waive_reason": "Unit dilebur"}),
    ]
    assert trail[1].prev_hash == trail[0].hash
    assert db.session.get(Duty, submitted).audit_seq == 2
    # (the cases of this fixture were written without events: only the duties count here)
    assert [b for b in verify_chains() if b.chain == "duty"] == []
    tamper(("UPDATE duty_event SET detail = :detail WHERE id = :id",
            {"detail": '{"report": "Laporan lain"}', "id": trail[0].id}))
    assert ("duty", submitted, "edited") in kinds(verify_chains())
    tamper(("DELETE FROM duty_event WHERE id = :id", {"id": trail[2].id}))
    assert ("duty", waived, "chain_missing") in kinds(verify_chains())
