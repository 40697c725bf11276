"""The worksheet over HTTP: completeness guard, no lost update, the review loop."""

from __future__ import annotations

from tests.api.helpers import (
    best_answer,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_declaration,
    to_pengusulan,
)

TIM_A = "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a"
TIM_B = "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.b"


def _building(client, world):
    case = open_case(client, world)
    put_declaration(client, world, case)
    return fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json


def test_submission_lists_exactly_the_missing_questions(client, world):
    case = _building(client, world)

    def skip_two(question):
        return {"item_id": question["id"]} if question["id"] == TIM_A else best_answer(question)

    assert fill_worksheet(client, world, case, "self", "coordinator", skip_two).status_code == 200
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                       headers=world.auth("coordinator")).json
    no_link = sheet["questions"][1]["id"]
    assert no_link == TIM_B
    refused = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                   "coordinator")
    assert refused.status_code == 422
    unmet = {u["code"]: u.get("question_ids") for u in refused.json["unmet"]}
    assert unmet == {"self_questions_unanswered": [TIM_A]}


def test_two_writers_one_question_one_wins(client, world):
    case = _building(client, world)
    url = f"/api/v1/cases/{case['id']}/assessments/self/items/{TIM_A}"
    first = client.put(url, json={"answer": "Ya", "expected_version": case["version"]},
                       headers=world.auth("coordinator"))
    second = client.put(url, json={"answer": "Tidak", "expected_version": case["version"]},
                        headers=world.auth("coordinator"))
    assert first.status_code == 200 and first.json["version"] == case["version"] + 1
    assert second.status_code == 409 and second.json["code"] == "stale_version"
    revisions = client.get(url + "/revisions", headers=world.auth("coordinator")).json
    assert [(r["revision"], r["answer"]) for r in revisions] == [(1, "Ya")]


def test_bad_answers_are_refused_per_item_and_nothing_is_written(client, world):
    case = _building(client, world)
    body = {"expected_version": case["version"], "items": [
        {"item_id": TIM_A, "answer": "Ya"},
        {"item_id": TIM_B, "answer": "Mungkin"},
        {"item_id": "no.such.item", "answer": "Ya"}]}
    response = client.patch(f"/api/v1/cases/{case['id']}/assessments/self/items", json=body,
                            headers=world.auth("coordinator"))
    assert response.status_code == 400
    assert set(response.json["errors"]) == {f"items.{TIM_B}.answer", "items.2.item_id"}
    assert get_case(client, world, case["id"])["version"] == case["version"]


def test_a_flag_travels_with_the_return_and_the_resubmission_shows_the_change(client, world):
    case = to_pengusulan(client, world)
    assert fill_worksheet(client, world, case, "tpi", "inspectorate").status_code == 200
    case = get_case(client, world, case["id"], "inspectorate")
    flagged = client.put(f"/api/v1/cases/{case['id']}/assessments/tpi/items/{TIM_A}",
                         json={"needs_revision": True, "note": "SK tim belum ditandatangani",
                               "expected_version": case["version"]},
                         headers=world.auth("inspectorate"))
    assert flagged.status_code == 200
    approve = fire(client, world, flagged.json, "tpi_approve", "inspectorate")
    assert approve.status_code == 422
    assert approve.json["unmet"][0]["question_ids"] == [TIM_A]
    returned = fire(client, world, flagged.json, "tpi_return", "inspectorate", reason="Perbaiki")
    assert returned.status_code == 200
    history = client.get(f"/api/v1/cases/{case['id']}/history",
                         headers=world.auth("coordinator")).json
    assert history[-1]["score"]["flagged"] == [
        {"item_id": TIM_A, "note": "SK tim belum ditandatangani"}]
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                       headers=world.auth("coordinator")).json
    first = sheet["questions"][0]
    assert first["review"]["tpi"] == {"needs_revision": True,
                                      "note": "SK tim belum ditandatangani"}
    assert sheet["changed_since_return"] == []
    revised = client.put(f"/api/v1/cases/{case['id']}/assessments/self/items/{TIM_A}",
                         json={"answer": "Ya", "note": "SK terlampir",
                               "expected_version": returned.json["version"]},
                         headers=world.auth("coordinator"))
    assert revised.status_code == 200
    again = fire(client, world, revised.json, "submit_to_tpi", "coordinator")
    assert again.status_code == 200
    history = client.get(f"/api/v1/cases/{case['id']}/history",
                         headers=world.auth("coordinator")).json
    assert history[-1]["score"]["changed_since_return"] == [TIM_A]


def test_a_return_records_every_flag_by_item_id_and_every_unit_revision(client, world):
    case = to_pengusulan(client, world)
    assert fill_worksheet(client, world, case, "tpi", "inspectorate").status_code == 200
    version = get_case(client, world, case["id"], "inspectorate")["version"]
    for item, note in ((TIM_B, "kedua"), (TIM_A, "pertama")):  # flagged out of order
        flagged = client.put(f"/api/v1/cases/{case['id']}/assessments/tpi/items/{item}",
                             json={"needs_revision": True, "note": note,
                                   "expected_version": version},
                             headers=world.auth("inspectorate"))
        assert flagged.status_code == 200
        version = flagged.json["version"]
    returned = fire(client, world, flagged.json, "tpi_return", "inspectorate", reason="Perbaiki")
    assert returned.status_code == 200
    record = client.get(f"/api/v1/cases/{case['id']}/history",
                        headers=world.auth("coordinator")).json[-1]["score"]
    assert record["flagged"] == [{"item_id": TIM_A, "note": "pertama"},
                                 {"item_id": TIM_B, "note": "kedua"}]
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                       headers=world.auth("coordinator")).json
    revisions = {q["id"]: q["revision"] for q in sheet["questions"] if q["revision"]}
    assert revisions and record["self_revisions"] == revisions
