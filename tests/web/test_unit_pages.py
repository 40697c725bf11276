"""The unit page: the unit's facts, its cases, opening a case; scope, CSRF, statements."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import World
from tests.web.case_helpers import opened, statements_of, text_of
from tests.web.helpers import csrf_of
from workflow.db import db
from workflow.models import Case

Pages = Callable[[str], FlaskClient]
REG_52 = "permenpanrb-52-2014"


def _open(client: FlaskClient, unit_id: int, **form: str) -> object:
    body = {"target": "WBK", "year": "2026", "regulation": REG_52, **form}
    return client.post(f"/unit/{unit_id}/kasus",
                       data={**body, "csrf_token": csrf_of(client, f"/unit/{unit_id}")})


def _cases(unit_id: int) -> list[Case]:
    db.session.expire_all()
    return list(db.session.execute(select(Case).where(Case.unit_id == unit_id)).scalars())


def test_the_unit_page_shows_its_facts_and_cases_and_opens_a_case(page_client: Pages,
                                                                  world: World) -> None:
    client = page_client("coordinator")
    page = client.get(f"/unit/{world.unit.id}")
    assert page.status_code == 200
    shown = text_of(page.get_data(as_text=True))
    assert "Unit U1" in shown and "Kementerian Uji" in shown and "Eselon 3" in shown
    assert "Unit ini belum memiliki kasus." in shown
    html = page.get_data(as_text=True)
    for name in ("target", "year", "regulation"):
        assert f'<label for="{name}">' in html and f'id="{name}"' in html
    opened_page = _open(client, world.unit.id)
    assert opened_page.status_code == 302
    (case,) = _cases(world.unit.id)
    assert opened_page.headers["Location"] == f"/kasus/{case.id}"
    assert (case.target, case.year, case.regulation, case.state) == (
        "WBK", 2026, REG_52, "pencanangan")
    shown = text_of(client.get(f"/unit/{world.unit.id}").get_data(as_text=True))
    assert f"WBK #{case.id} 2026 {REG_52} Pencanangan" in shown


def test_opening_a_case_shows_each_problem_and_keeps_what_was_typed(page_client: Pages,
                                                                    world: World) -> None:
    client = page_client("coordinator")
    response = _open(client, world.unit.id, year="20x6", regulation="permenpanrb-1-1999")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'id="year" name="year" value="20x6"[^>]*aria-invalid="true"', html)
    assert '<p class="field-error" id="year-error">bukan bilangan bulat</p>' in html
    assert 'id="regulation-error">harus salah satu dari' in html
    assert not _cases(world.unit.id)
    # the rules across cases: WBBM needs a held WBK; one open case per target
    refused = _open(client, world.unit.id, target="WBBM")
    assert refused.status_code == 422
    assert "Kasus tidak dapat dibuka:" in text_of(refused.get_data(as_text=True))
    assert _open(client, world.unit.id).status_code == 302
    again = _open(client, world.unit.id)
    assert again.status_code == 409
    assert "Unit ini sudah memiliki kasus WBK yang masih berjalan" in again.get_data(as_text=True)
    assert len(_cases(world.unit.id)) == 1


def test_only_coordinators_and_admins_get_the_form(page_client: Pages, world: World) -> None:
    for who, form in (("coordinator", True), ("admin", True), ("inspectorate", False),
                      ("tpn", False)):
        html = page_client(who).get(f"/unit/{world.unit.id}").get_data(as_text=True)
        assert ("Buka kasus (pencanangan)" in html) is form, who
    refused = _open(page_client("tpn"), world.unit.id)
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert not _cases(world.unit.id)


def test_people_outside_the_unit_get_a_403_page(page_client: Pages, world: World) -> None:
    for who in ("other_coordinator", "foreign_inspectorate"):
        client = page_client(who)
        response = client.get(f"/unit/{world.unit.id}")
        assert response.status_code == 403 and response.mimetype == "text/html"
        assert "Unit di luar cakupan Anda" in response.get_data(as_text=True)
        assert "Unit U1" not in response.get_data(as_text=True)
        refused = client.post(f"/unit/{world.unit.id}/kasus", data={
            "target": "WBK", "year": "2026", "regulation": REG_52,
            "csrf_token": csrf_of(client)})
        assert refused.status_code == 403
    assert not _cases(world.unit.id)
    assert page_client("other_coordinator").get(f"/unit/{world.other_unit.id}").status_code == 200


def test_opening_a_case_without_the_csrf_token_is_refused(page_client: Pages,
                                                          world: World) -> None:
    client = page_client("coordinator")
    response = client.post(f"/unit/{world.unit.id}/kasus",
                           data={"target": "WBK", "year": "2026", "regulation": REG_52})
    assert response.status_code == 400
    assert not _cases(world.unit.id)


def test_the_unit_page_takes_as_many_statements_for_many_cases_as_for_one(
        page_client: Pages, world: World) -> None:
    client = page_client("coordinator")
    for year in (2020, 2021, 2022, 2023, 2024):
        case = opened(world, year=year)
        case.state = "ditarik"
        db.session.commit()
        if year == 2020:
            one = statements_of(client, f"/unit/{world.unit.id}")
    many = statements_of(client, f"/unit/{world.unit.id}")
    assert len(many) == len(one), "\n".join(many)
