"""Admin pages for instansi and units: list, create, edit (eligibility facts, afirmasi)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import World
from tests.perf.test_statement_budget import counted
from tests.web.helpers import csrf_of
from workflow.db import db
from workflow.models import Instansi, Unit, User

Pages = Callable[[str], FlaskClient]
UNIT = {"name": "Kantor Wilayah Baru", "code": "KW9", "eselon": "2",
        "strategic_service": "1", "large_resources": "1"}


def post(client: FlaskClient, path: str, data: dict) -> tuple[int, str]:
    response = client.post(path, data={"csrf_token": csrf_of(client, "/admin/instansi"),
                                       **data})
    return response.status_code, response.get_data(as_text=True)


def unit_by_code(code: str) -> Unit | None:
    db.session.expire_all()
    return db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


@pytest.mark.parametrize("who", ["coordinator", "inspectorate", "tpn"])
@pytest.mark.parametrize("path", ["/admin/instansi", "/admin/unit", "/admin/unit/1"])
def test_only_admins_see_the_admin_pages(page_client: Pages, world: World, who: str,
                                         path: str) -> None:
    response = page_client(who).get(path)
    assert response.status_code == 403
    assert "hanya untuk admin" in response.get_data(as_text=True)


def test_others_cannot_write_either(page_client: Pages, world: World) -> None:
    client = page_client("coordinator")
    token = csrf_of(client, "/tugas")
    assert client.post("/admin/instansi", data={"csrf_token": token, "name": "X",
                                                "kind": "pemda"}).status_code == 403
    response = client.post(f"/admin/unit/{world.unit.id}",
                           data={"csrf_token": token, **UNIT})
    assert response.status_code == 403
    assert unit_by_code("KW9") is None
    assert db.session.execute(select(Instansi).where(Instansi.name == "X")).first() is None


def test_an_admin_creates_an_instansi(page_client: Pages, world: World) -> None:
    client = page_client("admin")
    html = client.get("/admin/instansi").get_data(as_text=True)
    assert "Kementerian Uji" in html and "Pemda Lain" in html and 'for="name"' in html
    status, html = post(client, "/admin/instansi", {"name": "", "kind": "pemda"})
    assert status == 400 and 'id="name-error">Nama wajib diisi' in html
    assert '<option value="pemda" selected>' in html  # what was chosen is kept
    status, html = post(client, "/admin/instansi", {"name": "Kementerian Uji",
                                                    "kind": "kementerian"})
    assert status == 409 and 'id="name-error">Instansi dengan nama ini sudah ada' in html
    response = client.post("/admin/instansi", data={
        "csrf_token": csrf_of(client, "/admin/instansi"), "name": "Kota Baru", "kind": "pemda"})
    assert response.status_code == 302
    created = db.session.execute(select(Instansi).where(Instansi.name == "Kota Baru")
                                 ).scalar_one()
    assert created.kind == "pemda"
    assert response.headers["Location"] == f"/admin/unit?instansi={created.id}"


def test_an_admin_creates_and_edits_a_unit(page_client: Pages, world: World) -> None:
    client = page_client("admin")
    status, html = post(client, "/admin/unit", {**UNIT, "instansi_id": str(world.instansi.id),
                                                "code": "", "eselon": "7"})
    assert status == 400
    assert 'id="code-error">Wajib diisi' in html and 'id="eselon-error">' in html
    assert 'value="Kantor Wilayah Baru"' in html
    assert 'name="strategic_service" value="1" checked' in html
    assert 'name="rb_implemented" value="1">' in html
    status, html = post(client, "/admin/unit", {**UNIT, "instansi_id": str(world.instansi.id),
                                                "code": "U1"})
    assert status == 409 and 'id="code-error">Kode ini sudah dipakai' in html
    status, _ = post(client, "/admin/unit", {**UNIT, "instansi_id": str(world.instansi.id)})
    assert status == 302
    unit = unit_by_code("KW9")
    assert unit is not None and unit.instansi_id == world.instansi.id
    assert (unit.eselon, unit.strategic_service, unit.rb_implemented, unit.large_resources,
            unit.afirmasi) == (2, True, False, True, False)

    page = client.get(f"/admin/unit/{unit.id}").get_data(as_text=True)
    assert 'value="KW9"' in page and '<option value="2" selected>II</option>' in page
    status, _ = post(client, f"/admin/unit/{unit.id}", {
        "name": "Kanwil Baru", "code": "KW10", "eselon": "3", "rb_implemented": "1",
        "afirmasi": "1"})
    assert status == 302
    unit = unit_by_code("KW10")
    assert unit is not None and unit.name == "Kanwil Baru"
    assert (unit.eselon, unit.strategic_service, unit.rb_implemented, unit.large_resources,
            unit.afirmasi) == (3, False, True, False, True)
    status, html = post(client, f"/admin/unit/{unit.id}", {**UNIT, "code": "U2"})
    assert status == 409 and 'id="code-error">' in html and 'value="U2"' in html
    assert unit_by_code("KW10") is not None  # unchanged
    assert client.get("/admin/unit/999999").status_code == 404


def test_the_unit_list_by_instansi_in_a_fixed_number_of_statements(
        page_client: Pages, world: World) -> None:
    client = page_client("admin")
    html = client.get(f"/admin/unit?instansi={world.instansi.id}").get_data(as_text=True)
    assert "Unit U1" in html and "Unit U2" in html and "Unit F1" not in html
    with counted() as few:
        client.get("/admin/unit")
    for n in range(5):
        instansi = Instansi(name=f"Pemda {n}", kind="pemda")
        db.session.add_all([instansi, Unit(instansi=instansi, name=f"Unit P{n}", code="P",
                                           eselon=3, strategic_service=True,
                                           rb_implemented=True, large_resources=True)])
    db.session.commit()
    with counted() as many:
        html = client.get("/admin/unit").get_data(as_text=True)
    assert html.count("Pemda 4") >= 2  # the instansi named on its unit's row
    assert len(many) == len(few), "\n".join(many)


def test_a_post_without_the_csrf_token_is_refused(page_client: Pages, world: World) -> None:
    response = page_client("admin").post("/admin/instansi", data={"name": "Tanpa Token",
                                                                  "kind": "pemda"})
    assert response.status_code == 400
    assert db.session.execute(select(Instansi).where(Instansi.name == "Tanpa Token")
                              ).first() is None


def test_the_admin_pages_in_english(page_client: Pages, world: World) -> None:
    db.session.get(User, world.user_ids["admin"]).language = "en"
    db.session.commit()
    client = page_client("admin")
    html = client.get("/admin/unit").get_data(as_text=True)
    assert "Work units" in html and "Affirmative-action unit" in html
    assert re.search(r">\s*Regional government\s*<", client.get("/admin/instansi").get_data(
        as_text=True))
