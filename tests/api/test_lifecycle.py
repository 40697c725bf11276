"""A unit taken from Pencanangan to Penetapan over HTTP, and the record it leaves."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.api.helpers import fire, get_case, to_penetapan
from workflow.db import db
from workflow.models import OutboxMessage


def test_full_lifecycle_reaches_penetapan_with_history(client, world):
    case = to_penetapan(client, world)
    assert case["state"] == "penetapan"
    history = client.get(f"/api/v1/cases/{case['id']}/history",
                         headers=world.auth("coordinator")).json
    transitions = [e["action"] for e in history if e["from_state"] != e["to_state"]]
    assert transitions == ["open_case", "start_building", "submit_to_tpi", "tpi_approve",
                           "designate"]
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    designate = history[-1]
    assert designate["role"] == "tpn" and designate["actor_email"] == "tpn@uji.go.id"
    assert designate["score"]["result"]["total"] == "89.50"
    assert designate["occurred_at"].endswith("+07:00")
    for before, after in zip(history, history[1:], strict=False):
        assert after["prev_hash"] == before["hash"]


def test_notices_are_written_for_the_people_concerned(client, world):
    to_penetapan(client, world)
    rows = db.session.execute(select(OutboxMessage.recipient_email, OutboxMessage.context)
                              ).all()
    submitted = {email for email, ctx in rows if ctx["trigger"] == "submit_to_tpi"}
    # the conflicted inspector is still told: they are an inspector of the instansi
    assert submitted == {"inspectorate@uji.go.id", "conflicted_inspectorate@uji.go.id"}
    designated = {email for email, ctx in rows if ctx["trigger"] == "designate"}
    assert "coordinator@uji.go.id" in designated
    assert "other_coordinator@uji.go.id" not in designated
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar() == len(rows)


def test_revoke_then_case_is_closed(client, world):
    case = to_penetapan(client, world)
    response = fire(client, world, case, "revoke", "tpn", reason="Kasus KKN terbukti")
    assert response.status_code == 200, response.json
    assert get_case(client, world, case["id"])["state"] == "dicabut"
