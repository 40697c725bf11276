"""Transitions over HTTP: every trigger from every state, refusals that change nothing,
roles and scopes, stale versions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.api.helpers import (
    GOOD_DECLARATION,
    best_answer,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_assessment,
    put_declaration,
    to_penetapan,
    to_pengusulan,
    to_reviu_tpn,
)
from tests.workflow.test_machine import EXPECTED
from workflow.db import db
from workflow.machine import SPECS, STATES
from workflow.models import AuditEvent, OutboxMessage

ACTOR = {"start_building": "coordinator", "submit_to_tpi": "coordinator",
         "tpi_approve": "inspectorate", "tpi_return": "inspectorate", "designate": "tpn",
         "tpn_return": "tpn", "revoke": "tpn", "withdraw": "admin"}
NEXT = EXPECTED  # DOMAIN.md: The process, as the pure machine test states it


def case_in(client, world, state: str) -> dict[str, Any]:
    """A 52/2014 WBK case brought to ``state`` with every input its next step needs."""
    if state in ("pencanangan", "pembangunan"):
        case = open_case(client, world)
        put_declaration(client, world, case)
        if state == "pembangunan":
            case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                        "coordinator").json
            fill_worksheet(client, world, case, "self", "coordinator")
        return get_case(client, world, case["id"])
    if state == "pengusulan":
        case = to_pengusulan(client, world)
        fill_worksheet(client, world, case, "tpi", "inspectorate")
        return get_case(client, world, case["id"])
    if state == "reviu_tpn":
        case = to_reviu_tpn(client, world)
        put_assessment(client, world, case, "tpn", "tpn")
        return get_case(client, world, case["id"])
    if state == "ditarik":
        case = case_in(client, world, "pembangunan")
        return fire(client, world, case, "withdraw", "admin", reason="ditarik").json
    case = to_penetapan(client, world)
    if state == "penetapan":
        return case
    return fire(client, world, case, "revoke", "tpn", reason="dicabut").json


def snapshot(case_id: int) -> tuple[int, int]:
    events = db.session.execute(select(func.count(AuditEvent.id))
                                .where(AuditEvent.case_id == case_id)).scalar()
    outbox = db.session.execute(select(func.count(OutboxMessage.id))).scalar()
    return events, outbox


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", sorted(SPECS))
def test_every_trigger_from_every_state(client, world, state, trigger):
    case = case_in(client, world, state)
    assert case["state"] == state
    before = snapshot(case["id"])
    response = fire(client, world, case, trigger, ACTOR[trigger], reason="alasan")
    after = get_case(client, world, case["id"])
    if (state, trigger) in NEXT:
        assert response.status_code == 200, response.json
        assert after["state"] == NEXT[(state, trigger)]
        assert after["version"] == case["version"] + 1
        assert snapshot(case["id"])[0] == before[0] + 1
    else:
        assert response.status_code == 409
        assert response.json["code"] == "transition_not_available"
        assert (after["state"], after["version"]) == (state, case["version"])
        assert snapshot(case["id"]) == before


def test_refused_guard_changes_nothing_and_names_every_unmet(client, world):
    case = open_case(client, world)
    put_declaration(client, world, case, {**GOOD_DECLARATION, "pakta_signed": 20,
                                          "head_signed": False, "team": []})
    case = get_case(client, world, case["id"])
    before = snapshot(case["id"])
    response = fire(client, world, case, "start_building", "coordinator")
    assert response.status_code == 422
    body = response.json
    assert body["code"] == "guard_failed"
    assert [u["code"] for u in body["unmet"]] == [
        "head_pakta_not_signed", "pakta_coverage_insufficient", "zi_team_missing"]
    coverage = body["unmet"][1]
    assert (coverage["value"], coverage["minimum"]) == ("50.00", "50.00")
    assert coverage["message"] and coverage["message_en"]
    after = get_case(client, world, case["id"])
    assert (after["state"], after["version"]) == ("pencanangan", case["version"])
    assert snapshot(case["id"]) == before


def test_available_transitions_explain_themselves(client, world):
    case = open_case(client, world)
    listed = get_case(client, world, case["id"])["available_transitions"]
    assert [t["trigger"] for t in listed] == ["start_building"]
    assert listed[0]["allowed"] is False
    assert {u["code"] for u in listed[0]["unmet"]} >= {"declaration_missing"}
    admin_view = get_case(client, world, case["id"], who="admin")["available_transitions"]
    assert admin_view == [{"trigger": "withdraw", "allowed": True, "requires_reason": True,
                           "unmet": []}]


def test_tpi_approve_below_threshold_is_refused_with_figures(client, world):
    case = to_pengusulan(client, world)

    def low_ipak(question):
        # 52/2014 IPAK: index / 4 × 15 points; 3.59 → 13.4625 → 13.46, below 13.50
        if question["id"] == "hasil.pemerintahan_bersih_bebas_kkn.ipak.a":
            return {"item_id": question["id"], "answer": "3.59"}
        return best_answer(question)

    assert fill_worksheet(client, world, case, "tpi", "inspectorate", low_ipak).status_code == 200
    response = fire(client, world, get_case(client, world, case["id"]), "tpi_approve",
                    "inspectorate")
    assert response.status_code == 422
    assert [(u["code"], u["value"], u["minimum"]) for u in response.json["unmet"]] == [
        ("ipak_below_minimum", "13.46", "13.50")]


def test_tpn_score_overrides_tpi(client, world):
    case = to_reviu_tpn(client, world)
    weak = {"manajemen_perubahan": "3", "penataan_tatalaksana": "3", "penataan_sdm": "10",
            "penguatan_akuntabilitas": "6", "penguatan_pengawasan": "10",
            "pelayanan_publik": "6"}
    assert put_assessment(client, world, case, "tpn", "tpn", areas=weak).status_code == 200
    response = fire(client, world, get_case(client, world, case["id"]), "designate", "tpn")
    assert response.status_code == 422
    assert [u["code"] for u in response.json["unmet"]] == ["total_below_minimum"]


def test_return_needs_a_reason_and_goes_back_to_pembangunan(client, world):
    case = to_pengusulan(client, world)
    refused = fire(client, world, case, "tpi_return", "inspectorate")
    assert refused.status_code == 422
    assert refused.json["unmet"][0]["code"] == "reason_missing"
    returned = fire(client, world, case, "tpi_return", "inspectorate", reason="Bukti kurang")
    assert returned.status_code == 200 and returned.json["state"] == "pembangunan"


def test_a_decision_keeps_the_worksheet_it_relied_on(client, world):
    case = to_reviu_tpn(client, world)
    case = fire(client, world, case, "tpn_return", "tpn", reason="Perbaiki").json
    history = client.get(f"/api/v1/cases/{case['id']}/history",
                         headers=world.auth("coordinator")).json
    approve = next(e for e in history if e["action"] == "tpi_approve")
    assert approve["score"]["source"] == "worksheet"
    assert approve["score"]["result"]["total"] == "100.00"
    assert len(approve["score"]["revisions"]) == 76  # every 52/2014 question, revision 1
    assert set(approve["score"]["revisions"].values()) == {1}


@pytest.mark.parametrize("who, trigger, code", [
    ("inspectorate", "start_building", "forbidden_for_role"),
    ("tpn", "start_building", "forbidden_for_role"),
    ("admin", "start_building", "forbidden_for_role"),
    ("other_coordinator", "start_building", "out_of_scope"),
    ("coordinator", "withdraw", "forbidden_for_role"),
    ("foreign_inspectorate", "withdraw", "out_of_scope"),
    ("conflicted_inspectorate", "withdraw", "conflict_of_interest"),
])
def test_role_and_scope_refusals_in_pencanangan(client, world, who, trigger, code):
    case = open_case(client, world)
    put_declaration(client, world, case)
    case = get_case(client, world, case["id"])
    response = fire(client, world, case, trigger, who, reason="x")
    assert response.status_code == 403
    assert response.json["code"] == code
    assert get_case(client, world, case["id"])["state"] == "pencanangan"


@pytest.mark.parametrize("who, code", [
    ("coordinator", "forbidden_for_role"),
    ("tpn", "forbidden_for_role"),
    ("admin", "forbidden_for_role"),
    ("foreign_inspectorate", "out_of_scope"),
    ("conflicted_inspectorate", "conflict_of_interest"),
])
def test_only_an_independent_inspector_of_the_instansi_approves(client, world, who, code):
    case = to_pengusulan(client, world)
    fill_worksheet(client, world, case, "tpi", "inspectorate")
    case = get_case(client, world, case["id"])
    response = fire(client, world, case, "tpi_approve", who)
    assert response.status_code == 403 and response.json["code"] == code
    assessed = client.put(
        f"/api/v1/cases/{case['id']}/assessments/tpi/items/"
        "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a",
        json={"answer": "Ya", "expected_version": case["version"]}, headers=world.auth(who))
    assert assessed.status_code == 403 and assessed.json["code"] == code


def test_the_unit_cannot_assess_itself_as_tpi_or_tpn(client, world):
    case = to_reviu_tpn(client, world)
    for kind in ("tpi", "tpn"):
        response = put_assessment(client, world, case, kind, "coordinator")
        assert response.status_code == 403


def test_52_2014_wbk_may_be_revoked_by_the_inspectorate(client, world):
    case = to_penetapan(client, world)
    response = fire(client, world, case, "revoke", "inspectorate", reason="Pelanggaran")
    assert response.status_code == 200 and response.json["state"] == "dicabut"


def test_stale_version_is_409_and_changes_nothing(client, world):
    case = open_case(client, world)
    put_declaration(client, world, case)
    case = get_case(client, world, case["id"])
    before = snapshot(case["id"])
    response = fire(client, world, case, "start_building", "coordinator",
                    version=case["version"] + 5)
    assert response.status_code == 409 and response.json["code"] == "stale_version"
    assert snapshot(case["id"]) == before
    ok = fire(client, world, case, "start_building", "coordinator")
    assert ok.status_code == 200
    again = fire(client, world, case, "withdraw", "admin", reason="x")
    assert again.status_code == 409 and again.json["code"] == "stale_version"


@pytest.mark.parametrize("body", [
    {}, {"trigger": "start_building"}, {"trigger": "fly", "expected_version": 1},
    {"trigger": "start_building", "expected_version": "one"},
    {"trigger": "start_building", "expected_version": 1, "extra": True},
])
def test_malformed_transition_body_is_400(client, world, body):
    case = open_case(client, world)
    response = client.post(f"/api/v1/cases/{case['id']}/transitions", json=body,
                           headers=world.auth("coordinator"))
    assert response.status_code == 400
    assert response.json["code"] == "validation_error" and response.json["errors"]


def test_invalid_json_is_400(client, world):
    case = open_case(client, world)
    response = client.post(f"/api/v1/cases/{case['id']}/transitions", data="{nope",
                           content_type="application/json", headers=world.auth("coordinator"))
    assert response.status_code == 400 and response.json["code"] == "validation_error"
