"""Admin pages for users: the list in one query, invitations, role and scope, deactivation,
API tokens; refused to every other role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import World
from tests.perf.test_statement_budget import counted
from tests.web.helpers import csrf_of
from workflow.db import db
from workflow.directory import create_user
from workflow.models import ApiToken, OutboxMessage, User

Pages = Callable[[str], FlaskClient]


def post(client: FlaskClient, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_of(client, "/admin/pengguna"), **data})


def test_the_list_shows_role_scope_and_state_in_a_constant_number_of_queries(
        page_client: Pages, world: World) -> None:
    admin = page_client("admin")
    admin.get("/admin/pengguna")
    with counted() as few:
        html = admin.get("/admin/pengguna").get_data(as_text=True)
    for who in ("coordinator@uji.go.id", "foreign_inspectorate", "Kementerian Uji", "U1"):
        assert who in html
    for n in range(8):
        create_user(f"extra{n}@uji.go.id", "coordinator", [world.other_unit.id],
                    world.instansi.id)
    with counted() as more:
        html = admin.get("/admin/pengguna").get_data(as_text=True)
    assert "extra7@uji.go.id" in html
    assert len(more) == len(few) <= 3


@pytest.mark.parametrize("who", ["coordinator", "inspectorate", "tpn"])
def test_other_roles_are_refused(page_client: Pages, world: World, who: str) -> None:
    client = page_client(who)
    target = world.user_ids["other_coordinator"]
    for path in ("/admin/pengguna", "/admin/pengguna/baru", f"/admin/pengguna/{target}"):
        response = client.get(path)
        assert response.status_code == 403 and "<html" in response.get_data(as_text=True)
    token = csrf_of(client, "/akun")
    for path in (f"/admin/pengguna/{target}/aktif", f"/admin/pengguna/{target}/token/cabut"):
        assert client.post(path, data={"csrf_token": token, "active": "0"}).status_code == 403
    assert db.session.get(User, target).active
    assert 'href="/admin/pengguna"' not in client.get("/").get_data(as_text=True)


def test_an_admin_invites_a_coordinator_by_unit_code(page_client: Pages, world: World) -> None:
    admin = page_client("admin")
    assert 'href="/admin/pengguna"' in admin.get("/").get_data(as_text=True)
    response = post(admin, "/admin/pengguna/baru", email="Baru@Uji.go.id", name="Bu Baru",
                    role="coordinator", instansi=str(world.instansi.id), units="U1, U2",
                    language="en")
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.email == "baru@uji.go.id")).scalar_one()
    assert user.unit_ids == {world.unit.id, world.other_unit.id} and user.language == "en"
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (message.template, message.recipient_email, message.language) == (
        "invitation", "baru@uji.go.id", "en")
    assert db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).first() is None
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "baru@uji.go.id" in page and "masuk antrean" in page


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"role": "coordinator", "units": ""}, "units", "wajib untuk koordinator"),
    ({"role": "coordinator", "units": "ZZ9"}, "units", "ZZ9"),
    ({"role": "inspectorate", "instansi": "", "units": ""}, "instansi",
     "wajib untuk inspektorat"),
    ({"role": "coordinator", "instansi": ""}, "units", "Pilih instansi"),
    ({"role": "tpn", "units": "U1"}, "units", "tidak mengoordinasi unit"),
    ({"email": "bukan-alamat"}, "email", ""),
    ({"email": "tpn@uji.go.id", "role": "tpn", "instansi": "", "units": ""}, "email",
     "sudah terdaftar"),
])
def test_an_invitation_with_a_mistake_shows_it_next_to_the_field_keeping_the_rest(
        page_client: Pages, world: World, fields: dict[str, str], field: str,
        says: str) -> None:
    data = {"email": "baru@uji.go.id", "name": "Nama Diketik", "role": "coordinator",
            "instansi": str(world.instansi.id), "units": "U1", **fields}
    response = post(page_client("admin"), "/admin/pengguna/baru", **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and says in html
    assert 'value="Nama Diketik"' in html
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_an_admin_changes_role_and_scope(page_client: Pages, world: World) -> None:
    admin, target = page_client("admin"), world.user_ids["other_coordinator"]
    assert 'value="U2"' in admin.get(f"/admin/pengguna/{target}").get_data(as_text=True)
    response = post(admin, f"/admin/pengguna/{target}/peran", role="inspectorate",
                    instansi=str(world.instansi.id), units="")
    assert response.status_code == 302
    user = db.session.get(User, target)
    assert (user.role, user.instansi_id, user.unit_ids) == ("inspectorate", world.instansi.id,
                                                            set())
    refused = post(admin, f"/admin/pengguna/{target}/peran", role="admin",
                   instansi=str(world.instansi.id), units="")
    assert refused.status_code == 400 and 'id="instansi-error"' in refused.get_data(as_text=True)
    assert db.session.get(User, target).role == "inspectorate"


def test_deactivation_stops_the_session_and_the_tokens(
        page_client: Pages, client: FlaskClient, world: World) -> None:
    admin, target = page_client("admin"), world.user_ids["coordinator"]
    victim = page_client("coordinator")
    assert victim.get("/").status_code == 200
    assert post(admin, f"/admin/pengguna/{target}/aktif", active="0").status_code == 302
    assert victim.get("/").status_code == 302
    assert client.get("/api/v1/units", headers=world.auth("coordinator")).status_code == 401
    assert post(admin, f"/admin/pengguna/{target}/aktif", active="1").status_code == 302
    assert client.get("/api/v1/units", headers=world.auth("coordinator")).status_code == 200
    own = world.user_ids["admin"]
    response = post(admin, f"/admin/pengguna/{own}/aktif", active="0")
    assert db.session.get(User, own).active
    assert "tidak dapat menonaktifkan" in admin.get(response.headers["Location"]).get_data(
        as_text=True)


def test_an_admin_revokes_one_token_or_all(page_client: Pages, client: FlaskClient,
                                           world: World) -> None:
    admin, target = page_client("admin"), world.user_ids["tpn"]
    token_id = db.session.execute(select(ApiToken.id).where(ApiToken.user_id == target)
                                  ).scalar_one()
    other = world.user_ids["coordinator"]
    assert post(admin, f"/admin/pengguna/{other}/token/{token_id}/cabut").status_code == 302
    assert client.get("/api/v1/units", headers=world.auth("tpn")).status_code == 200
    assert post(admin, f"/admin/pengguna/{target}/token/{token_id}/cabut").status_code == 302
    assert client.get("/api/v1/units", headers=world.auth("tpn")).status_code == 401
    assert post(admin, f"/admin/pengguna/{other}/token/cabut").status_code == 302
    assert client.get("/api/v1/units", headers=world.auth("coordinator")).status_code == 401
    assert "Dicabut" in admin.get(f"/admin/pengguna/{other}").get_data(as_text=True)


def test_an_admin_sends_a_new_password_link(page_client: Pages, world: World) -> None:
    target = world.user_ids["tpn"]
    assert post(page_client("admin"), f"/admin/pengguna/{target}/undang").status_code == 302
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (message.template, message.recipient_user_id) == ("invitation", target)


def test_admin_forms_need_the_csrf_token(page_client: Pages, world: World) -> None:
    target = world.user_ids["coordinator"]
    refused = page_client("admin").post(f"/admin/pengguna/{target}/aktif", data={"active": "0"})
    assert refused.status_code == 400 and db.session.get(User, target).active


def test_an_unknown_user_is_a_404_page(page_client: Pages) -> None:
    response = page_client("admin").get("/admin/pengguna/999999")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)
