"""The worksheet pages (issue 8): answers with notes and evidence, the live score, the
reviewers' flags, stale versions, scope and CSRF, the side by side, size and statements."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.helpers import (
    REG_90,
    best_answer,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_declaration,
    to_pengusulan,
)
from tests.api.test_evidence import EXE, PDF
from tests.conftest import World
from tests.perf.test_statement_budget import counted
from tests.web.helpers import csrf_of
from workflow.db import db
from workflow.models import User

AREA = "manajemen_perubahan"
TIM_A_90 = "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"
TIM_A_52 = "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a"
PageClient = Callable[[str], FlaskClient]


def _building(client: FlaskClient, world: World, regulation: str = REG_90) -> dict[str, Any]:
    case = open_case(client, world, regulation=regulation)
    assert put_declaration(client, world, case).status_code == 200
    return dict(fire(client, world, get_case(client, world, case["id"]), "start_building",
                     "coordinator").json)


def _page(page: FlaskClient, case_id: int, kind: str = "self") -> str:
    response = page.get(f"/kasus/{case_id}/lke/{kind}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _version_on(html: str) -> int:
    found = re.search(r'name="expected_version" value="(\d+)"', html)
    assert found, "no expected_version on the page"
    return int(found.group(1))


def _total_on(html: str) -> str:
    found = re.search(r'id="skor-h">[^:<]*: ([0-9.]+)<', html)
    assert found, "no score panel"
    return found.group(1)


def _post(page: FlaskClient, case_id: int, data: dict[str, Any], kind: str = "self",
          area: str = AREA, htmx: bool = False, csrf: bool = True) -> Any:
    path = f"/kasus/{case_id}/lke/{kind}"
    form = dict(data)
    if csrf:
        form["csrf_token"] = csrf_of(page, path)
    if "expected_version" not in form:
        form["expected_version"] = str(_version_on(_page(page, case_id, kind)))
    return page.post(f"{path}/area/{area}", data=form,
                     headers={"HX-Request": "true"} if htmx else {},
                     content_type="multipart/form-data")


def _question(client: FlaskClient, world: World, case_id: int, item: str, kind: str = "self",
              who: str = "coordinator") -> dict[str, Any]:
    sheet = client.get(f"/api/v1/cases/{case_id}/assessments/{kind}",
                       headers=world.auth(who)).json
    return next(q for q in sheet["questions"] if q["id"] == item)


def test_a_coordinator_answers_with_a_note_and_evidence_and_the_score_moves(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    before = _page(page, case["id"])
    assert _total_on(before) == "0.00"
    assert 'name="a1" value="Ya"' in before and 'type="file" id="f1" name="f1"' in before

    # With htmx: question 1 alone; its block comes back with the score panel out of band.
    saved = _post(page, case["id"], {"simpan": "1", "a1": "Ya", "n1": "SK Tim ZI terlampir",
                                     "f1": (io.BytesIO(PDF), "SK Tim.pdf")}, htmx=True)
    assert saved.status_code == 200
    assert saved.headers["HX-Retarget"] == "#q1"
    html = saved.get_data(as_text=True)
    assert html.lstrip().startswith('<article class="q" id="q1">') and "Tersimpan" in html
    # 90/2021: the team indicator weighs 0.5 over its 2 questions; "Ya" is worth 1.
    assert re.search(r'<section id="skor"[^>]*hx-swap-oob="true"', html)
    assert _total_on(html) == "0.25"
    assert 'id="as-manajemen_perubahan" class="badge" hx-swap-oob="true">0.25 / 8.00' in html
    assert re.search(r'value="(\d+)" class="cv" hx-swap-oob="outerHTML:input.cv"', html)
    question = _question(client, world, case["id"], TIM_A_90)
    assert (question["answer"], question["note"]) == ("Ya", "SK Tim ZI terlampir")
    assert [e["filename"] for e in question["evidence"]] == ["SK Tim.pdf"]
    assert "SK Tim.pdf" in html

    # Without JavaScript: the area's form posts, then the page is shown again.
    plain = _post(page, case["id"], {"simpan": "2", "a2": "B", "n2": ""})
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(
        "?q=pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.b#q2")
    after = page.get(plain.headers["Location"]).get_data(as_text=True)
    assert "Tersimpan" in after and _total_on(after) == "0.38"  # 0.5 × (1 + 0.5) / 2
    assert f'<details class="area" id="area-{AREA}" open>' in after

    # The evidence file is served to the unit through the page.
    evidence = question["evidence"][0]
    got = page.get(f"/kasus/{case['id']}/lke/bukti/{evidence['id']}")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")


def test_taking_evidence_off_and_saving_a_whole_area(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    _post(page, case["id"], {"simpan": "1", "l1": "https://drive.example.go.id/sk"})
    evidence = _question(client, world, case["id"], TIM_A_90)["evidence"]
    assert [e["link"] for e in evidence] == ["https://drive.example.go.id/sk"]
    removed = _post(page, case["id"], {"hapus": str(evidence[0]["id"])}, htmx=True)
    assert removed.headers["HX-Retarget"] == "#q1"
    assert _question(client, world, case["id"], TIM_A_90)["evidence"] == []
    # The area's own button (and Enter in any field) saves every change in the area.
    whole = _post(page, case["id"], {"semua": "1", "a1": "Ya", "a2": "A", "a3": "Ya",
                                     "n3": "Dokumen rencana"}, htmx=True)
    assert whole.headers["HX-Retarget"] == f"#area-{AREA}"
    html = whole.get_data(as_text=True)
    assert html.lstrip().startswith(f'<details class="area" id="area-{AREA}" open>')
    # team: 0.5 × (1 + 1) / 2; plan: 1 × (1 + 0 + 0) / 3 (two of its questions unanswered)
    assert _total_on(html) == "0.83"
    assert _question(client, world, case["id"], "pemenuhan.manajemen_perubahan."
                     "rencana_pembangunan_zi.a")["note"] == "Dokumen rencana"


def test_the_inspectorate_flags_a_question_and_the_coordinator_sees_the_flag(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = to_pengusulan(client, world)  # 52/2014, every self question answered
    inspector = page_client("inspectorate")
    html = _page(inspector, case["id"], "tpi")
    assert 'type="checkbox" name="r1" value="1"' in html
    assert "Jawaban unit: Ya (1)" in html  # the unit's answer beside the TPI's own
    flagged = _post(inspector, case["id"], {"simpan": "1", "r1": "1",
                                            "n1": "SK tim belum ditandatangani"}, kind="tpi")
    assert flagged.status_code == 302
    tpi = _question(client, world, case["id"], TIM_A_52, "tpi", "inspectorate")
    assert (tpi["needs_revision"], tpi["note"]) == (True, "SK tim belum ditandatangani")

    returned = fire(client, world, get_case(client, world, case["id"], "inspectorate"),
                    "tpi_return", "inspectorate", reason="Perbaiki")
    assert returned.status_code == 200
    seen = _page(page_client("coordinator"), case["id"])
    assert '<article class="q q-flag" id="q1">' in seen
    assert "Perlu perbaikan (TPI)</strong>: SK tim belum ditandatangani" in seen
    assert re.search(r'<section id="ditandai" class="card flagged">\s*<h2>Perlu perbaikan \(1\)',
                     seen)
    # The coordinator may answer again; the inspectorate's sheet is final until resubmission.
    assert 'name="simpan" value="1"' in seen
    assert 'name="simpan"' not in _page(inspector, case["id"], "tpi")


def test_the_inspectorate_unflags_a_question(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = to_pengusulan(client, world)
    inspector = page_client("inspectorate")
    _post(inspector, case["id"], {"simpan": "1", "r1": "1", "n1": "Kurang"}, kind="tpi")
    cleared = _post(inspector, case["id"], {"simpan": "1", "n1": "Sudah cukup"}, kind="tpi",
                    htmx=True)
    assert "Perlu perbaikan" not in cleared.get_data(as_text=True).split("</article>")[0]
    tpi = _question(client, world, case["id"], TIM_A_52, "tpi", "inspectorate")
    assert (tpi["needs_revision"], tpi["note"]) == (False, "Sudah cukup")
    assert "q-flag" not in _page(page_client("coordinator"), case["id"])


def test_a_coordinator_of_another_unit_is_refused(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    other = page_client("other_coordinator")
    for path in ("self", "tpi", "banding", "self.xlsx"):
        response = other.get(f"/kasus/{case['id']}/lke/{path}")
        assert response.status_code == 403, path
        assert "di luar cakupan" in response.get_data(as_text=True)
    refused = other.post(f"/kasus/{case['id']}/lke/self/area/{AREA}",
                         data={"csrf_token": csrf_of(other), "simpan": "1", "a1": "Ya",
                               "expected_version": str(case["version"])})
    assert refused.status_code == 403
    assert _question(client, world, case["id"], TIM_A_90)["answer"] is None


def test_a_post_without_the_csrf_token_is_refused(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    refused = _post(page, case["id"], {"simpan": "1", "a1": "Ya"}, csrf=False)
    assert refused.status_code == 400
    assert get_case(client, world, case["id"])["version"] == case["version"]
    assert _question(client, world, case["id"], TIM_A_90)["answer"] is None


def test_a_stale_version_says_so_and_keeps_what_was_typed(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    seen = _version_on(_page(page, case["id"]))
    assert _post(page, case["id"], {"simpan": "2", "a2": "A"}).status_code == 302  # elsewhere
    stale = _post(page, case["id"], {"simpan": "1", "a1": "Tidak", "n1": "ketikan saya",
                                     "expected_version": str(seen)})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Data telah diubah orang lain." in html
    assert (f'<a href="/kasus/{case["id"]}/lke/self?q={TIM_A_90}#q1">Muat ulang</a>') in html
    assert '<textarea id="n1" name="n1">\nketikan saya</textarea>' in html
    assert 'name="a1" value="Tidak" checked' in html
    assert _question(client, world, case["id"], TIM_A_90)["answer"] is None
    with_htmx = _post(page, case["id"], {"simpan": "1", "a1": "Tidak",
                                         "expected_version": str(seen)}, htmx=True)
    assert with_htmx.status_code == 200 and with_htmx.headers["HX-Retarget"] == "#q1"
    assert "Data telah diubah orang lain." in with_htmx.get_data(as_text=True)
    assert "hx-swap-oob" not in with_htmx.get_data(as_text=True)


def test_file_errors_are_shown_beside_the_question(
        app: Flask, client: FlaskClient, world: World, page_client: PageClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    case = _building(client, world)
    page = page_client("coordinator")
    wrong = _post(page, case["id"], {"simpan": "3", "a3": "Ya",
                                     "f3": (io.BytesIO(EXE), "laporan.pdf")})
    assert wrong.status_code == 415
    html = wrong.get_data(as_text=True)
    block = html[html.index('<article class="q" id="q3">'):]
    block = block[:block.index("</article>")]
    assert ('id="f3" name="f3"><p class="field-error">jenis berkas tidak diterima: '
            'application/x-msdownload</p>') in block
    # the answer was saved (its own transaction); the file was not
    assert _question(client, world, case["id"], "pemenuhan.manajemen_perubahan."
                     "rencana_pembangunan_zi.a")["answer"] == "Ya"
    big = _post(page, case["id"], {"simpan": "3", "f3": (io.BytesIO(PDF + b" " * 1000),
                                                         "a.pdf")})
    assert big.status_code == 413
    assert '<p class="field-error">paling besar 1000 byte</p>' in big.get_data(as_text=True)
    # Far above the limit the body is refused before it is read: said at the top of the area.
    monkeypatch.setitem(app.config, "MAX_BODY_BYTES", 10_000)
    huge = _post(page, case["id"], {"simpan": "3", "f3": (io.BytesIO(PDF + b" " * 100_000),
                                                          "a.pdf")}, htmx=True)
    assert huge.status_code == 200 and huge.headers["HX-Retarget"] == f"#area-{AREA}"
    assert "Berkas lebih besar dari" in huge.get_data(as_text=True)
    evidence = _question(client, world, case["id"],
                         "pemenuhan.manajemen_perubahan.rencana_pembangunan_zi.a")["evidence"]
    assert evidence == []


def test_answers_by_type_and_their_errors_beside_the_field(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    html = _page(page, case["id"])
    survey = re.search(r'<article class="q" id="q(\d+)">(?:(?!</article>).)*?'
                       r'Indeks \(0 sampai 4\)', html, re.S)
    assert survey
    n = survey.group(1)
    area = re.findall(r'id="area-([a-z_]+)"', html[:survey.start()])[-1]
    saved = _post(page, case["id"], {"simpan": n, f"a{n}": "3,6"}, area=area)
    assert saved.status_code == 302  # "3,6" as Indonesians write it
    ipak = _question(client, world, case["id"], "hasil.birokrasi_bersih_akuntabel.ipak.a")
    assert ipak["answer"] == "3.60"
    percent = re.search(r'<article class="q" id="q(\d+)">(?:(?!</article>).)*?'
                        r'name="c\1\.([a-z_]+)"', html, re.S)
    assert percent
    n, key = percent.group(1), percent.group(2)
    area = re.findall(r'id="area-([a-z_]+)"', html[:percent.start()])[-1]
    bad = _post(page, case["id"], {"simpan": n, f"c{n}.{key}": "-3"}, area=area)
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert re.search(rf'name="c{n}\.{key}" value="-3" aria-invalid="true"><p class="field-error">'
                     r"Harus antara 0 dan", text)


def test_read_only_for_those_who_may_not_write(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    html = _page(page_client("inspectorate"), case["id"])
    assert 'name="simpan"' not in html and "tetapi tidak mengubahnya" in html
    assert _post(page_client("inspectorate"), case["id"],
                 {"simpan": "1", "a1": "Ya", "expected_version": str(case["version"])}
                 ).status_code == 403
    assert _question(client, world, case["id"], TIM_A_90)["answer"] is None


def test_read_only_once_the_sheet_is_final(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = to_pengusulan(client, world)
    page = page_client("coordinator")
    html = _page(page, case["id"])
    assert 'name="simpan"' not in html
    assert "tidak dapat diubah pada tahap Pengusulan: hanya baca" in html
    refused = _post(page, case["id"], {"simpan": "1", "a1": "Tidak",
                                       "expected_version": str(case["version"])})
    assert refused.status_code == 409
    assert "tidak dapat diubah pada tahap pengusulan" in refused.get_data(as_text=True)


def test_the_excel_worksheet_for_the_signed_in_person(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    response = page_client("coordinator").get(f"/kasus/{case['id']}/lke/self.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=lke-kasus-{case['id']}-self.xlsx")
    assert f'href="/kasus/{case["id"]}/lke/self.xlsx"' in _page(page_client("coordinator"),
                                                                case["id"])


def test_the_side_by_side_marks_differences(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = to_pengusulan(client, world)

    def lower(question: dict[str, Any]) -> dict[str, Any]:
        entry = best_answer(question)
        if question["id"] == TIM_A_52:
            entry["answer"] = "Tidak"
        return entry

    assert fill_worksheet(client, world, case, "tpi", "inspectorate", lower).status_code == 200
    response = page_client("coordinator").get(f"/kasus/{case['id']}/lke/banding")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {int(n): row for row, n in
            re.findall(r'(<tr[^>]*><td><a [^>]*#q(\d+)">.*?</tr>)', html, re.S)}
    assert rows[1].startswith('<tr class="diff">') and "<strong>(berbeda)</strong>" in rows[1]
    assert re.search(r"<td>Ya \(1\)</td>\s*<td>Tidak \(0\)</td>\s*<td><span class=\"muted\">",
                     rows[1]), rows[1]
    assert not rows[2].startswith('<tr class="diff">') and "berbeda" not in rows[2]


# The page's reads: the person, the case, its unit, the person's units, the worksheet
# (answers, evidence, the last return), its explanation (answers), and on a reviewer's sheet
# the side by side (answers, evidence); none per question.
PAGE_BUDGET = {"self": 8, "tpi": 8}


@pytest.mark.parametrize("kind,who", [("self", "coordinator"), ("tpi", "inspectorate")])
def test_the_page_reads_a_fixed_number_of_statements(
        client: FlaskClient, world: World, page_client: PageClient, kind: str,
        who: str) -> None:
    case = _building(client, world)
    page = page_client(who)
    page.get(f"/kasus/{case['id']}/lke/{kind}")  # the rubric stored and compiled once
    db.session.remove()  # as a new request finds it (the tests share one app context)
    with counted() as empty:
        assert page.get(f"/kasus/{case['id']}/lke/{kind}").status_code == 200
    assert fill_worksheet(client, world, case, "self", "coordinator").status_code == 200
    db.session.remove()
    with counted() as full:
        html = _page(page, case["id"], kind)
    assert html.count('<article class="q') == 113
    assert len(full) == len(empty) <= PAGE_BUDGET[kind], "\n".join(full)


def test_a_full_90_2021_worksheet_page_is_under_200_kb(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    """Every question answered, with a note and a link to its evidence, editable."""
    case = _building(client, world)

    def noted(question: dict[str, Any]) -> dict[str, Any]:
        return {**best_answer(question),
                "note": "Bukti dukung: SK Kepala Unit dan laporan pelaksanaan triwulan."}

    assert fill_worksheet(client, world, case, "self", "coordinator", noted).status_code == 200
    html = _page(page_client("coordinator"), case["id"])
    assert html.count('<article class="q') == 113 and html.count('name="simpan"') == 113
    assert html.count('class="ev"') == 113 - 3  # the three hasil questions need none
    assert len(html.encode()) < 200_000


def test_the_worksheet_in_english_for_a_user_who_chose_it(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    db.session.get(User, world.user_ids["coordinator"]).language = "en"
    db.session.commit()
    page = page_client("coordinator")
    html = _page(page, case["id"])
    assert 'lang="en"' in html and "Evaluation worksheet (LKE): Unit self-assessment" in html
    assert ">Save every change in this area</button>" in html and ">Save</button>" in html
    assert "is below the minimum" in html and "di bawah minimum" not in html  # the unmet
    assert "Belum dijawab" not in html and "Simpan" not in html
    refused = _post(page, case["id"], {"simpan": "3", "a3": "Ya",
                                       "f3": (io.BytesIO(EXE), "laporan.pdf")})
    assert "type not accepted: application/x-msdownload" in refused.get_data(as_text=True)


def test_the_revisions_of_an_answer(
        client: FlaskClient, world: World, page_client: PageClient) -> None:
    case = _building(client, world)
    page = page_client("coordinator")
    _post(page, case["id"], {"simpan": "2", "a2": "C", "n2": "Belum diseleksi"})
    _post(page, case["id"], {"simpan": "2", "a2": "A", "n2": "SK seleksi terlampir"})
    html = _page(page, case["id"])
    link = f'href="/kasus/{case["id"]}/lke/self/riwayat/2">Riwayat (2)</a>'
    assert link in html
    history = page.get(f"/kasus/{case['id']}/lke/self/riwayat/2").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d)</td><td>[^<]+</td><td>coordinator</td><td>([A-C])\. ", history)
    assert rows == [("2", "A"), ("1", "C")]
    assert "Belum diseleksi" in history and "SK seleksi terlampir" in history
    assert page.get(f"/kasus/{case['id']}/lke/self/riwayat/999").status_code == 404
    assert page_client("other_coordinator").get(
        f"/kasus/{case['id']}/lke/self/riwayat/2").status_code == 403
