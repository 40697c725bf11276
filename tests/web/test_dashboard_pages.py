"""The instansi dashboard (/instansi/<id>) and the national view (/nasional)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time

import pytest
import time_machine
from flask.testing import FlaskClient

from tests.api.helpers import REG_52
from tests.conftest import World
from tests.perf.test_statement_budget import counted
from workflow.clock import JAKARTA
from workflow.db import db
from workflow.models import Case, Instansi, Unit, User
from workflow.sweep import sweep

Pages = Callable[[str], FlaskClient]
# 1 January 2026, 00:30 in Jakarta is still 2025 in UTC: the year is Jakarta's.
NEW_YEAR = datetime.combine(date(2026, 1, 1), time(0, 30), JAKARTA)


def add_case(unit_id: int, state: str, year: int = 2026, target: str = "WBK") -> int:
    case = Case(unit_id=unit_id, target=target, year=year, regulation=REG_52, state=state)
    db.session.add(case)
    db.session.commit()
    return case.id


@pytest.fixture
def cases(world: World) -> Iterator[dict[str, int]]:
    ids = {
        "building": add_case(world.unit.id, "pembangunan"),
        "in_review": add_case(world.other_unit.id, "reviu_tpn"),
        "designated": add_case(world.foreign_unit.id, "penetapan"),
        "last_year": add_case(world.unit.id, "reviu_tpn", year=2025, target="WBBM"),
    }
    with time_machine.travel(NEW_YEAR, tick=False):
        sweep(NEW_YEAR)
        yield ids


def cells(html: str, row_label: str) -> list[str]:
    """The cells of the table row headed ``row_label``."""
    found = re.search(r"<tr[^>]*>\s*<th scope=\"row\">(?:<a [^>]*>)?" + re.escape(row_label)
                      + r"(?:</a>)?</th>(.*?)</tr>", html, re.S)
    assert found, f"no row {row_label}"
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


def test_the_inspectorate_sees_its_instansi(page_client: Pages, cases: dict[str, int],
                                            world: World) -> None:
    client = page_client("inspectorate")
    response = client.get("/instansi")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/instansi/{world.instansi.id}"
    html = client.get(f"/instansi/{world.instansi.id}").get_data(as_text=True)
    assert "Kementerian Uji" in html and "2 unit" in html
    assert cells(html, "Pembangunan") == ["1", "0", "1"]
    assert cells(html, "Reviu TPN") == ["1", "1", "2"]  # this year's WBK, last year's WBBM
    assert "Penetapan" not in html  # the foreign unit's case is not this instansi's
    assert cells(html, "Laporan akhir tahun pembangunan ZI")[0] == "2"
    assert re.search(r'href="/tugas/\d+"', html) and 'href="/unit/' in html


@pytest.mark.parametrize(("who", "path"), [
    ("coordinator", "/instansi/{own}"),
    ("foreign_inspectorate", "/instansi/{own}"),
    ("tpn", "/instansi/{own}"),
    ("coordinator", "/nasional"),
    ("inspectorate", "/nasional"),
    ("coordinator", "/instansi"),
])
def test_refused_dashboards_are_403_pages(page_client: Pages, world: World, who: str,
                                          path: str) -> None:
    response = page_client(who).get(path.format(own=world.instansi.id))
    assert response.status_code == 403
    assert "<h1>403</h1>" in response.get_data(as_text=True)


def test_tpn_sees_every_instansi_and_this_years_proposals(
        page_client: Pages, cases: dict[str, int], world: World) -> None:
    html = page_client("tpn").get("/nasional").get_data(as_text=True)
    assert "Usulan tahun 2026" in html
    proposals = html.split('id="proposals-title"', 1)[1].split('id="instansi-title"', 1)[0]
    linked = set(re.findall(r'href="/kasus/(\d+)"', proposals))
    assert linked == {str(cases["in_review"]), str(cases["designated"])}
    assert "Unit U2" in proposals and "Unit F1" in proposals and "Unit U1" not in proposals
    table = html.split('id="instansi-title"', 1)[1]
    header = re.findall(r'<th scope="col" class="num">(.*?)</th>', table)
    assert header == ["Unit", "Pembangunan", "Reviu TPN", "Penetapan", "Jumlah"]
    assert cells(table, "Kementerian Uji") == ["2", "1", "2", "0", "3"]
    assert cells(table, "Pemda Lain") == ["1", "0", "0", "1", "1"]
    assert 'href="/instansi/' not in table  # TPN does not open an instansi's dashboard


def test_the_national_view_costs_the_same_statements_whatever_the_size(
        page_client: Pages, cases: dict[str, int], world: World) -> None:
    client = page_client("admin")
    client.get("/nasional")
    with counted() as few:
        assert client.get("/nasional").status_code == 200
    for n in range(5):
        instansi = Instansi(name=f"Pemda {n}", kind="pemda")
        unit = Unit(instansi=instansi, name=f"Unit P{n}", code=f"P{n}", eselon=3,
                    strategic_service=True, rb_implemented=True, large_resources=True)
        db.session.add_all([instansi, unit])
        db.session.commit()
        add_case(unit.id, "reviu_tpn")
        add_case(unit.id, "pembangunan", target="WBBM")
    with counted() as many:
        html = client.get("/nasional").get_data(as_text=True)
    assert "Unit P4" in html and 'href="/instansi/' in html  # an admin may open them
    assert len(many) == len(few), "\n".join(many)
    with counted() as board:  # the inspectorate's dashboard: one statement per figure
        assert client.get(f"/instansi/{world.instansi.id}").status_code == 200
    assert len(board) <= 7, "\n".join(board)


def test_the_dashboards_in_english(page_client: Pages, cases: dict[str, int],
                                   world: World) -> None:
    for who in ("tpn", "inspectorate"):
        db.session.get(User, world.user_ids[who]).language = "en"
    db.session.commit()
    html = page_client("tpn").get("/nasional").get_data(as_text=True)
    assert "Proposals of 2026" in html and "TPN review" in html
    html = page_client("inspectorate").get(f"/instansi/{world.instansi.id}").get_data(
        as_text=True)
    assert "Cases by state" in html and "Building" in html


@pytest.mark.parametrize(("who", "entries"), [
    ("coordinator", ["/tugas"]),
    ("inspectorate", ["/tugas", "/instansi"]),
    ("tpn", ["/tugas", "/nasional"]),
    ("admin", ["/tugas", "/nasional", "/admin/instansi", "/admin/unit"]),
])
def test_the_menu_names_the_pages_of_each_role(page_client: Pages, world: World, who: str,
                                               entries: list[str]) -> None:
    html = page_client(who).get("/tugas").get_data(as_text=True)
    menu = html.split('aria-label="Menu utama"', 1)[1].split("</nav>", 1)[0]
    mine = {path for path in re.findall(r'href="([^"]+)"', menu)
            if path in ("/tugas", "/instansi", "/nasional", "/admin/instansi", "/admin/unit")}
    assert mine == set(entries)
