"""What left the building: every fetch in the audit trail, and the changes made after it."""

from __future__ import annotations

import hashlib

import time_machine
from sqlalchemy import select

from tests.api.helpers import fire, get_case
from tests.api.portalrb_setup import FETCHING, TAHUN, bearer, integration_token, seed_proposal
from workflow import integration_tokens
from workflow.audit import verify_chains
from workflow.clock import as_utc
from workflow.db import db
from workflow.models import AuditEvent, OutboxMessage

JAWABAN = f"/api/portalrb/lke/jawaban-unit/U1?tahun={TAHUN}"
TIM_A = "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"


def fetch_events(case_id: int) -> list[AuditEvent]:
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case_id,
                                 AuditEvent.action == "portalrb_fetch")
        .order_by(AuditEvent.seq)).scalars())


def notices() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.template == "portalrb_changed")
        .order_by(OutboxMessage.id)).scalars())


def test_every_fetch_is_in_the_audit_trail_with_the_hash_of_the_exact_body(client, world):
    case = seed_proposal(world, world.unit)
    token = integration_token(world.instansi.id)
    token_id = integration_tokens.authenticate(token).id
    with time_machine.travel(FETCHING, tick=False):
        first = client.get(JAWABAN, headers=bearer(token))
        second = client.get(JAWABAN, headers=bearer(token))
    assert first.status_code == second.status_code == 200
    events = fetch_events(case.id)
    assert len(events) == 2
    for event, response in zip(events, (first, second), strict=True):
        assert event.score["body_sha256"] == hashlib.sha256(response.get_data()).hexdigest()
        assert (event.score["token_id"], event.score["unit_id"], event.score["tahun"]) == (
            token_id, "U1", TAHUN)
        assert (event.actor_id, event.actor_email, event.role) == (
            None, f"integration-token:{token_id}", "portalrb")
        assert as_utc(event.occurred_at) == FETCHING
    assert verify_chains() == []
    shown = get_case(client, world, case.id, "inspectorate")
    assert shown["portalrb_last_fetched_at"] == "2026-06-15T09:00:00+07:00"
    assert shown["portalrb_changed_since_fetch"] is False
    assert shown["version"] == case.version  # a fetch never makes a user's version stale


def test_refused_fetches_leave_no_record(client, world):
    seed_proposal(world, world.foreign_unit)
    case = seed_proposal(world, world.unit, state="pengusulan")
    token = integration_token(world.instansi.id)
    assert client.get(JAWABAN, headers=bearer(token)).status_code == 404
    assert client.get("/api/portalrb/lke/jawaban-unit/F1", headers=bearer(token)
                      ).status_code == 403
    assert db.session.execute(select(AuditEvent)).scalars().all() == []
    assert get_case(client, world, case.id)["portalrb_last_fetched_at"] is None


def test_a_change_after_a_fetch_is_shown_and_told_once(client, world):
    case = seed_proposal(world, world.unit)
    token = integration_token(world.instansi.id)
    never_fetched = seed_proposal(world, world.other_unit)
    assert client.get(JAWABAN, headers=bearer(token)).status_code == 200
    # The TPN's own worksheet is not sent: no change for PortalRB.
    tpn = client.patch(f"/api/v1/cases/{case.id}/assessments/tpn/items", json={
        "expected_version": get_case(client, world, case.id, "tpn")["version"],
        "items": [{"item_id": TIM_A, "answer": "Ya", "note": "cek lapangan"}]},
        headers=world.auth("tpn"))
    assert tpn.status_code == 200, tpn.json
    assert tpn.json["portalrb_changed_since_fetch"] is False and notices() == []
    # Returned by the TPN: PortalRB no longer sees it, and holds stale data.
    returned = fire(client, world, tpn.json, "tpn_return", "tpn", reason="Perbaiki bukti")
    assert returned.status_code == 200, returned.json
    assert returned.json["portalrb_changed_since_fetch"] is True
    told = notices()
    inspectors = {world.user_ids["inspectorate"], world.user_ids["conflicted_inspectorate"]}
    assert {m.recipient_user_id for m in told} == inspectors
    assert {m.context["change"] for m in told} == {"state"}
    assert {m.context["unit_code"] for m in told} == {"U1"}
    # A further change does not tell again until PortalRB fetches again.
    edit = client.patch(f"/api/v1/cases/{case.id}/assessments/self/items", json={
        "expected_version": returned.json["version"],
        "items": [{"item_id": TIM_A, "answer": "Tidak"}]}, headers=world.auth("coordinator"))
    assert edit.status_code == 200, edit.json
    assert len(notices()) == len(inspectors)
    other = fire(client, world, get_case(client, world, never_fetched.id, "tpn"), "tpn_return",
                 "tpn", reason="Belum siap")
    assert other.status_code == 200
    assert other.json["portalrb_changed_since_fetch"] is False
    assert len(notices()) == len(inspectors)


def test_a_unit_renamed_or_made_afirmasi_after_a_fetch(client, world):
    case = seed_proposal(world, world.unit)
    token = integration_token(world.instansi.id)
    assert client.get(JAWABAN, headers=bearer(token)).status_code == 200
    url = f"/api/v1/units/{world.unit.id}"
    assert client.patch(url, json={"afirmasi": True}, headers=world.auth("inspectorate")
                        ).status_code == 403
    patched = client.patch(url, json={"afirmasi": True}, headers=world.auth("admin"))
    assert patched.status_code == 200 and patched.json["afirmasi"] is True
    assert get_case(client, world, case.id)["portalrb_changed_since_fetch"] is True
    assert {m.context["change"] for m in notices()} == {"unit"}
    listed = client.get(f"/api/portalrb/pengusulan/unit-wbk?tahun={TAHUN}",
                        headers=bearer(token)).json["units"]
    assert listed[0]["kategori"] == "WBK-AFIRMASI"
    # Set back: what PortalRB holds is current again.
    assert client.patch(url, json={"afirmasi": False}, headers=world.auth("admin")
                        ).status_code == 200
    assert get_case(client, world, case.id)["portalrb_changed_since_fetch"] is False
    # A refetch starts a new round: the next change is told again.
    assert client.get(JAWABAN, headers=bearer(token)).status_code == 200
    before = len(notices())
    assert client.patch(url, json={"name": "Unit Satu Baru"}, headers=world.auth("admin")
                        ).status_code == 200
    assert len(notices()) == 2 * before
