"""Duty pages (/tugas): the list in one's scope, submit with evidence, acknowledge, waive."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, datetime, time

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.api.helpers import REG_52
from tests.conftest import World
from tests.perf.test_statement_budget import counted
from tests.web.helpers import csrf_of
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.models import Case, Duty, Instansi, Unit, User
from workflow.sweep import sweep

NOW = datetime.combine(date(2026, 1, 2), time(0, 5), JAKARTA)
LATER = datetime.combine(date(2026, 2, 10), time(9, 0), JAKARTA)  # budget duty past due
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

Pages = Callable[[str], FlaskClient]


def add_case(unit_id: int) -> None:
    db.session.add(Case(unit_id=unit_id, target="WBK", year=2026, regulation=REG_52,
                        state="pembangunan"))
    db.session.commit()


@pytest.fixture
def swept(world: World) -> World:
    for unit in (world.unit, world.other_unit, world.foreign_unit):
        add_case(unit.id)
    sweep(NOW)
    return world


def duty_of(unit: Unit, kind: str = "year_end_report") -> Duty:
    return db.session.execute(select(Duty).where(
        Duty.unit_id == unit.id, Duty.kind == kind)).scalar_one()


def state_of(duty_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Duty, duty_id).state


def post(client: FlaskClient, path: str, data: dict, **kwargs) -> tuple[int, str]:
    data = {"csrf_token": csrf_of(client, path.rsplit("/", 1)[0]), **data}
    response = client.post(path, data=data, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def test_the_list_shows_only_duties_in_scope_open_first_with_late_ones_marked(
        page_client: Pages, swept: World) -> None:
    done = duty_of(swept.unit, "budget_allocation")
    done.state = "waived"  # due first, but no longer open: listed after the open ones
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        html = page_client("coordinator").get("/tugas").get_data(as_text=True)
    assert "Unit U1" in html and "Unit U2" not in html and "Unit F1" not in html
    links = re.findall(r'href="/tugas/(\d+)"', html)
    assert links[-1] == str(done.id) and len(links) == 3
    assert "Dibebaskan" in html
    # the proposal deadline (31 May) is open and not late; nothing open is past due yet
    assert "Lewat tenggat" not in html
    with time_machine.travel(datetime(2026, 6, 2, 9, tzinfo=JAKARTA), tick=False):
        html = page_client("coordinator").get("/tugas").get_data(as_text=True)
    assert 'class="late"' in html and "Lewat tenggat" in html
    assert "31 Mei 2026" in html  # due dates as Jakarta calendar dates, in Indonesian


def test_the_list_costs_the_same_statements_whatever_the_number_of_duties(
        page_client: Pages, swept: World) -> None:
    client = page_client("admin")
    client.get("/tugas")
    with counted() as few:
        assert client.get("/tugas").status_code == 200
    instansi = db.session.get(Instansi, swept.instansi.id)
    for n in range(6):
        unit = Unit(instansi=instansi, name=f"Unit X{n}", code=f"X{n}", eselon=3,
                    strategic_service=True, rb_implemented=True, large_resources=True)
        db.session.add(unit)
        db.session.flush()
        add_case(unit.id)
    sweep(NOW)
    with counted() as many:
        html = client.get("/tugas").get_data(as_text=True)
    assert "Unit X5" in html
    assert len(many) == len(few), "\n".join(many)


def test_a_coordinator_submits_with_a_file_and_a_link_the_inspectorate_acknowledges(
        page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    coordinator = page_client("coordinator")
    page = coordinator.get(f"/tugas/{duty.id}").get_data(as_text=True)
    assert 'for="report"' in page and 'type="file"' in page and "Terima laporan" not in page
    status, html = post(coordinator, f"/tugas/{duty.id}/serahkan", {
        "report": "Laporan pembangunan ZI 2026", "links": "https://drive.example/laporan\n",
        "berkas": (io.BytesIO(PDF), "laporan.pdf")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert status == 200, html
    assert "Laporan diserahkan" in html and "laporan.pdf" in html
    assert state_of(duty.id) == "submitted"
    stored = db.session.get(Duty, duty.id).evidence
    assert stored[0] == "https://drive.example/laporan" and stored[1].startswith("file:")
    sha256 = stored[1].split(":")[1]

    inspectorate = page_client("inspectorate")
    page = inspectorate.get(f"/tugas/{duty.id}").get_data(as_text=True)
    assert "Terima laporan" in page and "Serahkan laporan" not in page
    download = inspectorate.get(f"/tugas/{duty.id}/berkas/{sha256}")
    assert download.status_code == 200 and download.data == PDF
    assert page_client("other_coordinator").get(
        f"/tugas/{duty.id}/berkas/{sha256}").status_code == 403
    status, html = post(inspectorate, f"/tugas/{duty.id}/terima", {"note": "Lengkap"},
                        follow_redirects=True)
    assert status == 200 and "Laporan diterima" in html, html
    assert state_of(duty.id) == "acknowledged"
    history = html.split("Riwayat", 1)[1]
    assert "coordinator@uji.go.id" in history and "inspectorate@uji.go.id" in history
    assert "Lengkap" in history
    assert "https://drive.example/laporan, laporan.pdf" in history  # a file by its name


def test_a_refused_file_is_named_beside_its_field_and_the_report_is_kept(
        page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    status, html = post(page_client("coordinator"), f"/tugas/{duty.id}/serahkan", {
        "report": "Laporan saya", "links": "",
        "berkas": (io.BytesIO(b"MZ\x90\x00 not a document"), "laporan.pdf")},
        content_type="multipart/form-data")
    assert status == 400
    assert re.search(r'id="berkas-error">[^<]*Jenis berkas tidak diterima', html)
    assert ">Laporan saya</textarea>" in html
    assert state_of(duty.id) == "open"


def test_submit_needs_a_report_and_links_are_links(page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    status, html = post(page_client("coordinator"), f"/tugas/{duty.id}/serahkan",
                        {"report": "  ", "links": "bukan tautan"})
    assert status == 400
    assert 'id="report-error">Laporan wajib diisi' in html
    assert 'id="links-error">' in html and ">bukan tautan</textarea>" in html
    assert state_of(duty.id) == "open"


def test_waive_needs_a_reason(page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    inspectorate = page_client("inspectorate")
    status, html = post(inspectorate, f"/tugas/{duty.id}/bebaskan", {"reason": " "})
    assert status == 400 and 'id="reason-error">Alasan wajib diisi' in html
    assert 'aria-invalid="true"' in html
    assert state_of(duty.id) == "open"
    status, html = post(inspectorate, f"/tugas/{duty.id}/bebaskan",
                        {"reason": "Unit dilebur"}, follow_redirects=True)
    assert status == 200 and "Tugas dibebaskan" in html and "Unit dilebur" in html
    assert state_of(duty.id) == "waived"


def test_a_change_by_someone_else_is_readable_and_keeps_what_was_typed(
        page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    coordinator = page_client("coordinator")
    token = csrf_of(coordinator, f"/tugas/{duty.id}")  # the form is open in the browser…
    post(page_client("inspectorate"), f"/tugas/{duty.id}/bebaskan", {"reason": "Dilebur"})
    response = coordinator.post(f"/tugas/{duty.id}/serahkan", data={
        "csrf_token": token, "report": "Laporan yang panjang"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Data telah diubah orang lain" in html and f'href="/tugas/{duty.id}"' in html
    assert state_of(duty.id) == "waived"


def test_refusals_are_pages(page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    assert page_client("other_coordinator").get(f"/tugas/{duty.id}").status_code == 403
    assert page_client("foreign_inspectorate").get(f"/tugas/{duty.id}").status_code == 403
    assert page_client("coordinator").get("/tugas/999999").status_code == 404
    conflicted = page_client("conflicted_inspectorate")
    assert "Bebaskan" not in conflicted.get(f"/tugas/{duty.id}").get_data(as_text=True)
    status, html = post(conflicted, f"/tugas/{duty.id}/bebaskan", {"reason": "Milik sendiri"})
    assert status == 403 and "koordinator unit ini" in html
    status, _ = post(page_client("coordinator"), f"/tugas/{duty.id}/bebaskan", {"reason": "x"})
    assert status == 403
    assert state_of(duty.id) == "open"


def test_a_post_without_the_csrf_token_is_refused(page_client: Pages, swept: World) -> None:
    duty = duty_of(swept.unit)
    response = page_client("coordinator").post(f"/tugas/{duty.id}/serahkan",
                                               data={"report": "Laporan"})
    assert response.status_code == 400
    assert state_of(duty.id) == "open"


def test_the_duty_pages_in_english(page_client: Pages, swept: World) -> None:
    db.session.get(User, swept.user_ids["inspectorate"]).language = "en"
    db.session.commit()
    duty = duty_of(swept.unit)
    client = page_client("inspectorate")
    html = client.get("/tugas").get_data(as_text=True)
    assert "Year-end ZI building report" in html and ">Duties<" in html
    html = client.get(f"/tugas/{duty.id}").get_data(as_text=True)
    assert "Release the unit from this duty" in html and "Reason" in html
