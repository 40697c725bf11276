"""Opening cases, the declaration and assessments: validation, cross-case rules, scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.api.helpers import (
    FULL_AREAS_52,
    GOOD_DECLARATION,
    REG_52,
    REG_90,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_assessment,
    put_declaration,
    to_penetapan,
    to_reviu_tpn,
)
from tests.api.portalrb_setup import seed_proposal
from workflow.clock import utcnow


def test_case_starts_in_pencanangan(client, world):
    case = open_case(client, world)
    assert (case["state"], case["version"], case["target"], case["regulation"]) == (
        "pencanangan", 1, "WBK", REG_52)


def test_one_open_case_per_unit_and_target(client, world):
    open_case(client, world)
    again = client.post(f"/api/v1/units/{world.unit.id}/cases",
                        json={"target": "WBK", "year": 2026, "regulation": REG_52},
                        headers=world.auth("coordinator"))
    assert again.status_code == 409 and again.json["code"] == "case_already_open"


def test_a_withdrawn_case_frees_the_unit(client, world):
    case = open_case(client, world)
    assert fire(client, world, case, "withdraw", "admin", reason="KKN").status_code == 200
    assert open_case(client, world)["id"] != case["id"]


def test_wbbm_needs_a_held_wbk(client, world):
    refused = client.post(f"/api/v1/units/{world.unit.id}/cases",
                          json={"target": "WBBM", "year": 2026, "regulation": REG_90},
                          headers=world.auth("coordinator"))
    assert refused.status_code == 422
    assert [u["code"] for u in refused.json["unmet"]] == ["wbk_not_held"]
    to_penetapan(client, world)
    assert open_case(client, world, target="WBBM", regulation=REG_90)["state"] == "pencanangan"


def test_two_year_block_after_revocation(client, world):
    case = to_penetapan(client, world)
    fire(client, world, case, "revoke", "tpn", reason="Dicabut")
    body = {"target": "WBK", "year": 2027, "regulation": REG_90}
    refused = client.post(f"/api/v1/units/{world.unit.id}/cases", json=body,
                          headers=world.auth("coordinator"))
    assert refused.status_code == 422
    assert refused.json["unmet"][0]["code"] == "revocation_block"
    with time_machine.travel(utcnow() + timedelta(days=2 * 365 + 1)):
        allowed = client.post(f"/api/v1/units/{world.unit.id}/cases", json=body,
                              headers=world.auth("coordinator"))
    assert allowed.status_code == 201


@pytest.mark.parametrize("who, status", [("other_coordinator", 403), ("inspectorate", 403),
                                         ("tpn", 403), ("admin", 201)])
def test_who_may_open_a_case(client, world, who, status):
    response = client.post(f"/api/v1/units/{world.unit.id}/cases",
                           json={"target": "WBK", "year": 2026, "regulation": REG_52},
                           headers=world.auth(who))
    assert response.status_code == status


@pytest.mark.parametrize("body, field", [
    ({"target": "WBX", "year": 2026, "regulation": REG_52}, "target"),
    ({"target": "WBK", "year": 2026, "regulation": "permenpanrb-1-2000"}, "regulation"),
    ({"target": "WBK", "regulation": REG_52}, "year"),
])
def test_bad_case_body_names_the_field(client, world, body, field):
    response = client.post(f"/api/v1/units/{world.unit.id}/cases", json=body,
                           headers=world.auth("coordinator"))
    assert response.status_code == 400 and field in response.json["errors"]


def test_declaration_validation(client, world):
    case = open_case(client, world)
    url = f"/api/v1/cases/{case['id']}/declaration"
    v = {"expected_version": case["version"]}
    too_many = client.put(url, json={**GOOD_DECLARATION, "pakta_signed": 41, **v},
                          headers=world.auth("coordinator"))
    assert too_many.status_code == 400 and "pakta_signed" in too_many.json["errors"]
    missing = client.put(url, json={"staff_total": 3}, headers=world.auth("coordinator"))
    assert missing.status_code == 400 and "head_signed" in missing.json["errors"]
    ok = client.put(url, json={**GOOD_DECLARATION, **v}, headers=world.auth("coordinator"))
    assert ok.status_code == 200 and ok.json["pakta_signed"] == 30
    stale = client.put(url, json={**GOOD_DECLARATION, **v}, headers=world.auth("coordinator"))
    assert stale.status_code == 409 and stale.json["code"] == "stale_version"
    assert client.put(url, json={**GOOD_DECLARATION, **v},
                      headers=world.auth("other_coordinator")).status_code == 403


def test_the_unit_and_the_tpi_answer_on_the_worksheet_not_in_summary(client, world):
    case = open_case(client, world)
    response = put_assessment(client, world, case, "self", "coordinator")
    assert response.status_code == 400 and response.json["code"] == "worksheet_required"


def test_assessment_figures_are_validated_by_field(client, world):
    case = to_reviu_tpn(client, world)
    response = put_assessment(client, world, case, "tpn", "tpn",
                              areas={**FULL_AREAS_52, "penataan_sdm": "15.01", "x": "1"},
                              hasil={"ipak": "-1", "tlhp": "1", "ipkp": "1"})
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"areas.penataan_sdm", "areas.x", "hasil.ipak"}


def test_floats_never_reach_a_score(client, world):
    case = to_reviu_tpn(client, world)
    version = get_case(client, world, case["id"], "tpn")["version"]
    response = client.put(f"/api/v1/cases/{case['id']}/assessments/tpn",
                          data='{"areas": {"manajemen_perubahan": 4.1}, "hasil": {}, '
                               f'"final": false, "expected_version": {version}}}',
                          content_type="application/json", headers=world.auth("tpn"))
    assert response.status_code == 200
    assert response.json["areas"] == {"manajemen_perubahan": "4.1"}


def test_draft_may_be_partial_but_final_must_be_complete(client, world):
    case = to_reviu_tpn(client, world)
    draft = put_assessment(client, world, case, "tpn", "tpn",
                           areas={"manajemen_perubahan": "4"}, hasil={}, final=False)
    assert draft.status_code == 200 and draft.json["evaluation"] is None
    assert "areas.penataan_sdm" in draft.json["missing"]
    final = put_assessment(client, world, case, "tpn", "tpn",
                           areas={"manajemen_perubahan": "4"}, hasil={}, final=True)
    assert final.status_code == 400 and "hasil.ipak" in final.json["errors"]


def test_assessment_kinds_are_open_only_in_their_state(client, world):
    case = open_case(client, world)
    response = put_assessment(client, world, case, "tpn", "tpn")
    assert response.status_code == 409 and response.json["code"] == "not_editable_in_state"
    unknown = client.put(f"/api/v1/cases/{case['id']}/assessments/boss", json={},
                         headers=world.auth("coordinator"))
    assert unknown.status_code == 404 and unknown.json["code"] == "not_found"


def test_cases_are_scoped(client, world):
    case = open_case(client, world)
    for who, status in [("coordinator", 200), ("inspectorate", 200), ("tpn", 200),
                        ("admin", 200), ("other_coordinator", 403),
                        ("foreign_inspectorate", 403)]:
        got = client.get(f"/api/v1/cases/{case['id']}", headers=world.auth(who))
        assert got.status_code == status, who
        history = client.get(f"/api/v1/cases/{case['id']}/history", headers=world.auth(who))
        assert history.status_code == status, who
    assert client.get("/api/v1/cases/999", headers=world.auth("admin")).status_code == 404


def test_proposal_conditions_90_2021(client, world):
    case = open_case(client, world, regulation=REG_90)
    url = f"/api/v1/cases/{case['id']}/proposal"
    body = {"bpk_opinion": "WTP", "sakip_instansi": "BB", "indeks_rb": "70", "spip_level": 3,
            "tlhp_percent": 100, "lhkpn_percent": "100", "lhkasn_percent": "100",
            "sakip_unit": "A"}
    early = client.put(url, json={**body, "expected_version": case["version"]},
                       headers=world.auth("coordinator"))
    assert early.status_code == 409
    put_declaration(client, world, case)
    case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json
    body["expected_version"] = case["version"]
    assert client.put(url, json={**body, "bpk_opinion": "XYZ"},
                      headers=world.auth("coordinator")).status_code == 400
    assert client.put(url, json=body, headers=world.auth("tpn")).status_code == 403
    ok = client.put(url, json=body, headers=world.auth("inspectorate"))
    assert ok.status_code == 200


def test_90_2021_submission_needs_a_year_of_building(client, world):
    case = open_case(client, world, regulation=REG_90)
    put_declaration(client, world, case)
    case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json
    assert fill_worksheet(client, world, case, "self", "coordinator").status_code == 200
    case = get_case(client, world, case["id"])
    refused = fire(client, world, case, "submit_to_tpi", "coordinator")
    assert refused.status_code == 422
    assert [u["code"] for u in refused.json["unmet"]] == ["building_period_too_short"]
    with time_machine.travel(utcnow() + timedelta(days=366)):
        assert fire(client, world, case, "submit_to_tpi", "coordinator").status_code == 200


def test_a_declaration_broken_after_start_building_stops_submit_to_tpi(client, world):
    case = open_case(client, world)
    assert put_declaration(client, world, case).status_code == 200
    case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json
    assert fill_worksheet(client, world, case, "self", "coordinator").status_code == 200
    emptied = {**GOOD_DECLARATION, "pakta_signed": 0, "team": []}
    assert put_declaration(client, world, case, emptied).status_code == 200
    refused = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                   "coordinator")
    assert refused.status_code == 422
    assert [u["code"] for u in refused.json["unmet"]] == ["pakta_coverage_insufficient",
                                                          "zi_team_missing"]
    assert put_declaration(client, world, case).status_code == 200
    assert fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                "coordinator").status_code == 200


AREAS_WITHIN_BOTH = {**FULL_AREAS_52, "penataan_sdm": "9"}  # within 52/2014's and 90/2021's


@pytest.mark.parametrize(("regulation", "areas", "hasil", "named"), [
    # 52/2014's hasil on a 90/2021 case: its keys are unknown there, 90/2021's are missing
    (REG_90, AREAS_WITHIN_BOTH, {"ipak": "14", "tlhp": "4.5", "ipkp": "18"},
     {"hasil.ipak", "hasil.tlhp", "hasil.ipkp", "hasil.ipak_index", "hasil.kinerja",
      "hasil.ipkp_index"}),
    # 90/2021's hasil on a 52/2014 case
    (REG_52, AREAS_WITHIN_BOTH, {"ipak_index": "3.6", "kinerja": "4.5", "ipkp_index": "3.5"},
     {"hasil.ipak_index", "hasil.kinerja", "hasil.ipkp_index", "hasil.ipak", "hasil.tlhp",
      "hasil.ipkp"}),
    # an area above its weight under 52/2014 (5) that 90/2021 allows (8), and one left out
    (REG_52, {**FULL_AREAS_52, "manajemen_perubahan": "7"}, None,
     {"areas.manajemen_perubahan"}),
    (REG_90, {key: value for key, value in AREAS_WITHIN_BOTH.items() if key != "penataan_sdm"},
     {"ipak_index": "3.6", "kinerja": "4.5", "ipkp_index": "3.5"}, {"areas.penataan_sdm"}),
])
def test_the_summary_form_is_checked_against_the_cases_own_regulation(
        client, world, regulation, areas, hasil, named):
    """Issue 10: the request itself is validated per regulation, not only the document."""
    case = seed_proposal(world, world.unit, regulation=regulation, answered=False)
    response = put_assessment(client, world, {"id": case.id}, "tpn", "tpn", areas=areas,
                              hasil=hasil, final=True)
    assert response.status_code == 400, response.json
    assert set(response.json["errors"]) == named
