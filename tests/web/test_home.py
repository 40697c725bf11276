"""Beranda: what needs the signed-in person, by role, each list in a fixed number of
statements whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from tests.conftest import World, _unit
from tests.web.case_helpers import opened, person, statements_of, text_of
from workflow.clock import jakarta_date, utcnow
from workflow.db import db
from workflow.models import Answer, Case, Duty, OutboxMessage, Unit

Pages = Callable[[str], FlaskClient]


def _in_state(case: Case, state: str, year: int | None = None) -> Case:
    case.state = state
    if year is not None:
        case.year = year
    db.session.commit()
    return case


def _duty(unit: Unit, days: int, state: str = "open", period: str = "2026") -> Duty:
    duty = Duty(kind="year_end_report", unit_id=unit.id, subject=f"unit:{unit.id}",
                period=period, due_date=jakarta_date(utcnow()) + timedelta(days=days),
                state=state)
    db.session.add(duty)
    db.session.commit()
    return duty


def _flag(world: World, case: Case, items: int, kind: str = "tpi") -> None:
    for index in range(items):
        db.session.add(Answer(case_id=case.id, kind=kind, item_id=f"q{case.id}-{index}",
                              answer="a", needs_revision=True,
                              answered_by=world.user_ids["inspectorate"]))
    db.session.commit()


def _failed_message(index: int, status: str = "failed") -> None:
    db.session.add(OutboxMessage(idempotency_key=f"test:{index}", recipient_email="x@uji.go.id",
                                 template="transition_notice", context={}, status=status))
    db.session.commit()


def _more_units(world: World, count: int, coordinated: bool = True) -> list[Unit]:
    units = [_unit(world.instansi, f"X{len(world.instansi.units)}-{i}") for i in range(count)]
    db.session.commit()
    if coordinated:
        coordinator = person(world, "coordinator")
        coordinator.units.extend(units)
        db.session.commit()
    return units


def test_a_coordinator_sees_their_cases_flags_and_duties(page_client: Pages,
                                                         world: World) -> None:
    case = _in_state(opened(world), "pembangunan")
    _flag(world, case, 3)
    other = opened(world, world.other_unit.id, "other_coordinator")
    _flag(world, other, 2)
    soon, overdue = _duty(world.unit, 10), _duty(world.unit, -3, "overdue", "2025")
    _duty(world.unit, 90, period="2027")  # not yet due
    _duty(world.other_unit, 5)  # not theirs
    html = page_client("coordinator").get("/").get_data(as_text=True)
    shown = text_of(html)
    assert f"Unit U1 Kementerian Uji WBK #{case.id} 2026 Pembangunan Ajukan ke TPI" in shown
    assert f'href="/kasus/{case.id}"' in html and f'href="/kasus/{other.id}"' not in html
    assert f"Unit U1 #{case.id} – 3 pertanyaan ditandai oleh TPI" in shown
    assert f'href="/kasus/{case.id}/lke/self"' in html
    assert f'href="/tugas/{soon.id}"' in html and f'href="/tugas/{overdue.id}"' in html
    assert html.index(f'/tugas/{overdue.id}"') < html.index(f'/tugas/{soon.id}"')
    assert html.count('href="/tugas/') == 2
    assert "Unit U2" not in shown


def test_an_inspectorate_sees_cases_waiting_for_the_tpi_and_reports_to_acknowledge(
        page_client: Pages, world: World) -> None:
    waiting = _in_state(opened(world), "pengusulan")
    building = _in_state(opened(world, world.other_unit.id, "other_coordinator"), "pembangunan")
    db.session.add(Case(unit_id=world.foreign_unit.id, target="WBK", year=2026,
                        regulation="permenpanrb-52-2014", state="pengusulan", version=1))
    submitted = _duty(world.unit, 3, "submitted")
    _duty(world.other_unit, 3)  # open: not theirs to acknowledge yet
    html = page_client("inspectorate").get("/").get_data(as_text=True)
    shown = text_of(html)
    assert f"Unit U1 Kementerian Uji WBK #{waiting.id} 2026 Pengusulan" in shown
    assert "Setujui dan usulkan ke TPN" in shown
    assert f'/kasus/{building.id}"' not in html and "Unit F1" not in shown
    assert f'href="/tugas/{submitted.id}"' in html and html.count('href="/tugas/') == 1
    foreign = text_of(page_client("foreign_inspectorate").get("/").get_data(as_text=True))
    assert "Tidak ada laporan yang menunggu." in foreign and "Unit U1" not in foreign


def test_tpn_sees_this_years_proposals_waiting_national_review(page_client: Pages,
                                                               world: World) -> None:
    year = jakarta_date(utcnow()).year
    this_year = _in_state(opened(world, year=year), "reviu_tpn")
    last_year = _in_state(opened(world, world.other_unit.id, "other_coordinator",
                                 year=year - 1), "reviu_tpn")
    html = page_client("tpn").get("/").get_data(as_text=True)
    assert f'href="/kasus/{this_year.id}"' in html
    assert f'href="/kasus/{last_year.id}"' not in html
    assert "Tetapkan predikat" in text_of(html)


def test_an_admin_sees_the_shortcuts_and_the_failed_deliveries(page_client: Pages,
                                                               world: World) -> None:
    _failed_message(1)
    _failed_message(2, "uncertain")
    _failed_message(3, "sent")
    html = page_client("admin").get("/").get_data(as_text=True)
    assert "Email gagal atau tidak pasti terkirim: 2" in text_of(html)
    for path in ("/admin/pengguna", "/admin/instansi", "/admin/unit", "/api/docs"):
        assert f'href="{path}"' in html


def test_beranda_in_english(page_client: Pages, world: World) -> None:
    person(world, "coordinator").language = "en"
    db.session.commit()
    _in_state(opened(world), "pembangunan")
    shown = text_of(page_client("coordinator").get("/").get_data(as_text=True))
    assert "Your units' cases" in shown and "Submit to the TPI" in shown
    assert "Building (pembangunan)" in shown


def _populate(world: World, rows: int) -> None:
    """``rows`` more of everything each role's Beranda lists."""
    year = jakarta_date(utcnow()).year
    for unit in _more_units(world, rows):
        case = _in_state(opened(world, unit.id, year=year), "reviu_tpn")
        _flag(world, case, 2)
        _duty(unit, 5)
        _duty(unit, 6, "submitted", "2025")
        db.session.add(Case(unit_id=unit.id, target="WBBM", year=year,
                            regulation="permenpanrb-52-2014", state="pengusulan", version=1))
        db.session.commit()
    for index in range(rows):
        _failed_message(100 * rows + index)


def test_each_beranda_takes_as_many_statements_for_many_rows_as_for_one(
        page_client: Pages, world: World) -> None:
    roles = ("coordinator", "inspectorate", "tpn", "admin")
    clients = {}
    for who in roles:
        clients[who] = page_client(who)
    _populate(world, 1)
    one = {who: statements_of(clients[who], "/") for who in roles}
    _populate(world, 6)
    for who in roles:
        many = statements_of(clients[who], "/")
        assert len(many) == len(one[who]), f"{who}:\n" + "\n".join(many)
