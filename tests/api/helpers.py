"""Small request helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import World

REG_52 = "permenpanrb-52-2014"
REG_90 = "permenpanrb-90-2021"
GOOD_DECLARATION = {"staff_total": 40, "pakta_signed": 30, "head_signed": True,
                    "commitment_statement": "Kami berkomitmen.", "team": ["Ketua", "Anggota"]}
FULL_AREAS_52 = {"manajemen_perubahan": "4.50", "penataan_tatalaksana": "4.50",
                 "penataan_sdm": "13", "penguatan_akuntabilitas": "9",
                 "penguatan_pengawasan": "13", "pelayanan_publik": "9"}
GOOD_HASIL_52 = {"ipak": "14", "tlhp": "4.5", "ipkp": "18"}


def open_case(client: FlaskClient, world: World, target: str = "WBK", regulation: str = REG_52,
              who: str = "coordinator", unit_id: int | None = None) -> dict[str, Any]:
    response = client.post(f"/api/v1/units/{unit_id or world.unit.id}/cases",
                           json={"target": target, "year": 2026, "regulation": regulation},
                           headers=world.auth(who))
    assert response.status_code == 201, response.json
    return response.json


def fire(client: FlaskClient, world: World, case: dict[str, Any], trigger: str, who: str,
         reason: str | None = None, version: int | None = None) -> Any:
    body: dict[str, Any] = {"trigger": trigger,
                            "expected_version": case["version"] if version is None else version}
    if reason is not None:
        body["reason"] = reason
    return client.post(f"/api/v1/cases/{case['id']}/transitions", json=body,
                       headers=world.auth(who))


def put_assessment(client: FlaskClient, world: World, case: dict[str, Any], kind: str, who: str,
                   areas: dict[str, Any] | None = None, hasil: dict[str, Any] | None = None,
                   final: bool = True) -> Any:
    """The summary form (TPN only); reads the case's current version first."""
    version = get_case(client, world, case["id"], who)["version"]
    return client.put(f"/api/v1/cases/{case['id']}/assessments/{kind}",
                      json={"areas": FULL_AREAS_52 if areas is None else areas,
                            "hasil": GOOD_HASIL_52 if hasil is None else hasil, "final": final,
                            "expected_version": version},
                      headers=world.auth(who))


def best_answer(question: dict[str, Any]) -> dict[str, Any]:
    """The answer worth the most: the first option, full counts, the top of the scale."""
    entry: dict[str, Any] = {"item_id": question["id"]}
    if question["answer_type"] == "percent":
        entry["counts"] = {c["key"]: 10 if c["key"] in question["formula"]["denominator"]
                           else 0 if c["key"] in question["formula"]["numerator_minus"] else 10
                           for c in question["count_fields"]}
    elif question["answer_type"] == "survey_index":
        entry["answer"] = question["scale_max"]
    else:
        entry["answer"] = question["options"][0]["key"]
    return entry


def fill_worksheet(client: FlaskClient, world: World, case: dict[str, Any], kind: str, who: str,
                   answer: Any = best_answer, evidence: bool = True) -> Any:
    """Answer every question of a worksheet in one PATCH (with an evidence link each, for the
    unit's); ``answer(question)`` gives each entry. Returns the response."""
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/{kind}", headers=world.auth(who))
    assert sheet.status_code == 200, sheet.json
    items = []
    for question in sheet.json["questions"]:
        entry = answer(question)
        if kind == "self" and evidence and question["evidence_required"]:
            entry["evidence_links"] = [f"https://bukti.example.go.id/{question['id']}.pdf"]
        items.append(entry)
    return client.patch(f"/api/v1/cases/{case['id']}/assessments/{kind}/items",
                        json={"expected_version": sheet.json["case_version"], "items": items},
                        headers=world.auth(who))


def put_declaration(client: FlaskClient, world: World, case: dict[str, Any],
                    body: dict[str, Any] | None = None, who: str = "coordinator") -> Any:
    version = get_case(client, world, case["id"], who)["version"]
    return client.put(f"/api/v1/cases/{case['id']}/declaration",
                      json={**(GOOD_DECLARATION if body is None else body),
                            "expected_version": version}, headers=world.auth(who))


def get_case(client: FlaskClient, world: World, case_id: int, who: str = "coordinator") -> Any:
    response = client.get(f"/api/v1/cases/{case_id}", headers=world.auth(who))
    assert response.status_code == 200, response.json
    return response.json


def to_pengusulan(client: FlaskClient, world: World) -> dict[str, Any]:
    """A 52/2014 WBK case submitted to the TPI."""
    case = open_case(client, world)
    assert put_declaration(client, world, case).status_code == 200
    case = fire(client, world, case, "start_building", "coordinator",
                version=get_case(client, world, case["id"])["version"]).json
    r = fill_worksheet(client, world, case, "self", "coordinator")
    assert r.status_code == 200, r.json
    case = r.json
    response = fire(client, world, case, "submit_to_tpi", "coordinator")
    assert response.status_code == 200, response.json
    return response.json


def to_reviu_tpn(client: FlaskClient, world: World) -> dict[str, Any]:
    case = to_pengusulan(client, world)
    r = fill_worksheet(client, world, case, "tpi", "inspectorate")
    assert r.status_code == 200, r.json
    response = fire(client, world, r.json, "tpi_approve", "inspectorate")
    assert response.status_code == 200, response.json
    return response.json


def to_penetapan(client: FlaskClient, world: World) -> dict[str, Any]:
    case = to_reviu_tpn(client, world)
    assert put_assessment(client, world, case, "tpn", "tpn").status_code == 200
    response = fire(client, world, get_case(client, world, case["id"], "tpn"), "designate", "tpn")
    assert response.status_code == 200, response.json
    return response.json
