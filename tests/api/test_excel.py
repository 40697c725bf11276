"""The worksheet as PortalRB's Excel file: the layout, an identity round trip, one edited
cell, refusals by cell with nothing written, and each role reading only its own columns."""

from __future__ import annotations

import io
import json
import zipfile
from importlib import resources

import openpyxl
from openpyxl.xml import DEFUSEDXML
from sqlalchemy import func, select

from tests.api.helpers import (
    REG_90,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_declaration,
    to_pengusulan,
)
from workflow.db import db
from workflow.models import AnswerRevision, AuditEvent

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _soal() -> dict[int, dict]:
    raw = (resources.files("workflow.lke") / "data" / "master-soal-lkezi-2026.json").read_bytes()

    def walk(node):
        yield from node.get("soals", [])
        for child in node.get("children", []):
            yield from walk(child)

    return {s["id"]: s for node in json.loads(raw)["data"] for s in walk(node)}


def _building(client, world, regulation=REG_90):
    case = open_case(client, world, regulation=regulation)
    put_declaration(client, world, case)
    return fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json


def _export(client, world, case_id, kind="self", who="coordinator"):
    response = client.get(f"/api/v1/cases/{case_id}/assessments/{kind}.xlsx",
                          headers=world.auth(who))
    assert response.status_code == 200, response.json
    assert response.headers["Content-Type"] == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(client, world, case_id, data, version, kind="self", who="coordinator"):
    return client.put(f"/api/v1/cases/{case_id}/assessments/{kind}.xlsx",
                      data={"file": (io.BytesIO(data), "lke.xlsx"),
                            "expected_version": str(version)},
                      content_type="multipart/form-data", headers=world.auth(who))


def _written() -> tuple[int, int]:
    return (db.session.execute(select(func.count(AnswerRevision.id))).scalar_one(),
            db.session.execute(select(func.count(AuditEvent.id))).scalar_one())


def _questions(client, world, case_id, kind="self"):
    sheet = client.get(f"/api/v1/cases/{case_id}/assessments/{kind}",
                       headers=world.auth("coordinator")).json
    return {q["id"]: q for q in sheet["questions"]}


def test_export_puts_every_portalrb_question_on_its_row(client, world):
    case = _building(client, world)
    filled = fill_worksheet(client, world, case, "self", "coordinator")
    assert filled.status_code == 200
    book = _export(client, world, case["id"])
    assert book.sheetnames == ["Jawaban", "Nilai"]
    sheet = book["Jawaban"]
    soal = _soal()
    questions = _questions(client, world, case["id"])
    seen = set()
    for question in questions.values():
        if question["count_fields"]:
            for count in question["count_fields"]:
                row = soal[count["soal_id"]]["excel_baris"]
                assert sheet[f"A{row}"].value == count["soal_id"]
                assert (sheet[f"B{row}"].value, sheet[f"C{row}"].value) == (question["id"],
                                                                           count["key"])
                assert sheet[f"K{row}"].value == question["counts"][count["key"]]
                seen.add(count["soal_id"])
        else:
            (soal_id,) = question["soal_ids"]
            row = soal[soal_id]["excel_baris"]
            assert sheet[f"A{row}"].value == soal_id and sheet[f"B{row}"].value == question["id"]
            assert soal[soal_id]["excel_kolom_jawaban_unit"] == "K"
            expected = question["answer"]
            if question["answer_type"] == "survey_index":
                assert sheet[f"K{row}"].value == float(expected)
            else:
                assert sheet[f"K{row}"].value == expected
            if question["evidence_required"]:
                assert sheet[f"M{row}"].value == question["evidence"][0]["link"]
            seen.add(soal_id)
    assert seen == set(soal)
    scores = {row[0]: row[1] for row in book["Nilai"].iter_rows(values_only=True) if row[0]}
    sheet_json = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                            headers=world.auth("coordinator")).json
    assert f"{scores['total']:.2f}" == sheet_json["evaluation"]["total"]
    assert scores["versi kasus / case version"] == filled.json["version"]


def test_round_trip_is_an_identity_and_one_edited_cell_changes_exactly_that_answer(
        client, world):
    case = _building(client, world)
    filled = fill_worksheet(client, world, case, "self", "coordinator")
    version = filled.json["version"]
    before = _written()
    data = _bytes(_export(client, world, case["id"]))
    same = _import(client, world, case["id"], data, version)
    assert same.status_code == 200, same.json
    assert same.json == {"changed": [], "case_version": version}
    assert _written() == before

    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Jawaban"]
    questions = _questions(client, world, case["id"])
    abc = next(q for q in questions.values() if q["answer_type"] == "abc")
    row = next(r for r in range(6, sheet.max_row + 1) if sheet[f"B{r}"].value == abc["id"])
    assert sheet[f"K{row}"].value == "A"
    sheet[f"K{row}"] = "b"  # lower case is read as the option B
    sheet[f"L{row}"] = "=HYPERLINK(\"http://x\")"
    sheet[f"L{row}"].data_type = "s"  # a note that looks like a formula, typed as text
    edited = _import(client, world, case["id"], _bytes(book), version)
    assert edited.status_code == 200, edited.json
    assert edited.json == {"changed": [abc["id"]], "case_version": version + 1}
    after = _questions(client, world, case["id"])[abc["id"]]
    assert (after["answer"], after["note"], after["revision"]) == (
        "B", "=HYPERLINK(\"http://x\")", 2)
    assert _written() == (before[0] + 1, before[1] + 1)
    again = _export(client, world, case["id"])["Jawaban"]
    assert again[f"L{row}"].data_type == "s"
    assert again[f"L{row}"].value == "=HYPERLINK(\"http://x\")"


def test_a_malformed_file_is_refused_by_cell_and_nothing_is_written(app, client, world,
                                                                     monkeypatch):
    case = _building(client, world)
    version = fill_worksheet(client, world, case, "self", "coordinator").json["version"]
    before = _written()
    data = _bytes(_export(client, world, case["id"]))
    questions = _questions(client, world, case["id"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Jawaban"]
    rows = {}
    for r in range(6, sheet.max_row + 1):
        rows.setdefault(sheet[f"B{r}"].value, r)
    yes_no = next(q for q in questions.values() if q["answer_type"] == "yes_no")
    abcd = next(q for q in questions.values() if q["answer_type"] == "abcd")
    percent = next(q for q in questions.values() if q["answer_type"] == "percent")
    sheet[f"K{rows[yes_no['id']]}"] = "=1+1"  # a formula
    sheet[f"K{rows[abcd['id']]}"] = "F"  # not an option
    sheet[f"K{rows[percent['id']]}"] = "sepuluh"  # text in a count cell
    refused = _import(client, world, case["id"], _bytes(book), version)
    assert refused.status_code == 400, refused.json
    assert refused.json["code"] == "excel_invalid"
    assert set(refused.json["errors"]) == {f"Jawaban!K{rows[yes_no['id']]}",
                                          f"Jawaban!K{rows[abcd['id']]}",
                                          f"Jawaban!K{rows[percent['id']]}"}
    for item in (yes_no, abcd, percent):
        assert all(message.startswith(f"{item['id']}: ") for message in
                   refused.json["errors"][f"Jawaban!K{rows[item['id']]}"])
    assert "A, B, C, D" in refused.json["errors"][f"Jawaban!K{rows[abcd['id']]}"][0]

    del book["Jawaban"]
    no_sheet = _import(client, world, case["id"], _bytes(book), version)
    assert no_sheet.status_code == 400 and "Jawaban" in no_sheet.json["errors"]
    not_xlsx = _import(client, world, case["id"], b"%PDF-1.4\n%%EOF\n", version)
    assert not_xlsx.status_code == 400 and "application/pdf" in not_xlsx.json["errors"]["file"][0]
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("catatan.txt", "bukan lembar kerja")
    not_a_workbook = _import(client, world, case["id"], other_zip.getvalue(), version)
    assert not_a_workbook.status_code == 400 and "file" in not_a_workbook.json["errors"]
    assert DEFUSEDXML  # openpyxl parses the uploaded XML through defusedxml
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    too_big = _import(client, world, case["id"], data, version)
    assert too_big.status_code == 413 and too_big.json["code"] == "file_too_large"
    assert _written() == before
    assert get_case(client, world, case["id"])["version"] == version


def test_each_role_reads_only_its_own_columns_and_only_while_it_may_write(client, world):
    case = to_pengusulan(client, world)  # a 52/2014 case: rows of our own, from row 6
    late = _import(client, world, case["id"], _bytes(_export(client, world, case["id"])),
                   case["version"])
    assert late.status_code == 409 and late.json["code"] == "not_editable_in_state"
    book = _export(client, world, case["id"], "tpi", "inspectorate")
    sheet = book["Jawaban"]
    questions = list(_questions(client, world, case["id"]).values())
    assert [sheet[f"B{6 + i}"].value for i in range(3)] == [q["id"] for q in questions[:3]]
    first = questions[0]
    assert sheet["K6"].value == first["answer"] and sheet["N6"].value is None
    sheet["K6"] = "Tidak"  # the unit's column: not the inspectorate's to change
    sheet["N6"] = "Tidak"
    sheet["Q6"] = "SK belum ada"
    stale = _import(client, world, case["id"], _bytes(book), case["version"] - 1, "tpi",
                    "inspectorate")
    assert stale.status_code == 409 and stale.json["code"] == "stale_version"
    by_unit = _import(client, world, case["id"], _bytes(book), case["version"], "tpi")
    assert by_unit.status_code == 403
    done = _import(client, world, case["id"], _bytes(book), case["version"], "tpi",
                   "inspectorate")
    assert done.status_code == 200, done.json
    assert done.json["changed"] == [first["id"]]
    tpi = _questions(client, world, case["id"], "tpi")[first["id"]]
    assert (tpi["answer"], tpi["note"]) == ("Tidak", "SK belum ada")
    assert _questions(client, world, case["id"])[first["id"]]["answer"] == first["answer"]
