"""Access that can be taken back (issue 9): deactivation, revocation, reissue, role changes
checked like creation, from the console and over the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.workflow.test_audit import run_cli
from workflow.db import db
from workflow.directory import create_user
from workflow.errors import InvalidInput
from workflow.models import ApiToken


def units(client, world, who):
    return client.get("/api/v1/units", headers=world.auth(who))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_deactivated_user_is_refused_at_the_next_request_and_back_when_reactivated(
        app, client, world):
    assert units(client, world, "coordinator").status_code == 200
    user_id = world.user_ids["coordinator"]
    off = client.patch(f"/api/v1/users/{user_id}", json={"active": False},
                       headers=world.auth("admin"))
    assert off.status_code == 200 and off.json["active"] is False
    assert units(client, world, "coordinator").status_code == 401
    on = run_cli(app, "user", "activate", "coordinator@uji.go.id")
    assert on.exit_code == 0, on.output
    assert units(client, world, "coordinator").status_code == 200
    assert run_cli(app, "user", "deactivate", str(user_id)).exit_code == 0
    assert units(client, world, "coordinator").status_code == 401
    listed = run_cli(app, "user", "list")
    assert "coordinator@uji.go.id\tcoordinator" in listed.output and "INACTIVE" in listed.output


def test_a_revoked_token_is_refused_and_the_others_still_work(app, client, world):
    user_id = world.user_ids["tpn"]
    second = client.post(f"/api/v1/users/{user_id}/tokens", headers=world.auth("admin"))
    assert second.status_code == 201
    # reissue revoked the first token
    assert units(client, world, "tpn").status_code == 401
    assert client.get("/api/v1/units", headers=bearer(second.json["token"])).status_code == 200
    tokens = client.get(f"/api/v1/users/{user_id}/tokens", headers=world.auth("admin")).json
    assert [t["revoked_at"] is None for t in tokens] == [True, False]
    revoked = client.post(f"/api/v1/tokens/{tokens[0]['id']}/revoke",
                          headers=world.auth("admin"))
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    assert client.get("/api/v1/units", headers=bearer(second.json["token"])).status_code == 401
    assert units(client, world, "admin").status_code == 200


def test_tokens_from_the_console(app, client, world):
    reissued = run_cli(app, "token", "reissue", "inspectorate@uji.go.id")
    assert reissued.exit_code == 0, reissued.output
    new = reissued.output.strip().splitlines()[-1]
    assert units(client, world, "inspectorate").status_code == 401
    assert client.get("/api/v1/units", headers=bearer(new)).status_code == 200
    listed = run_cli(app, "token", "list", "--user", "inspectorate@uji.go.id")
    assert listed.exit_code == 0 and listed.output.count("\n") == 2
    assert "revoked" in listed.output and new not in listed.output
    live = db.session.execute(select(ApiToken.id).where(
        ApiToken.user_id == world.user_ids["inspectorate"],
        ApiToken.revoked_at.is_(None))).scalar_one()
    assert run_cli(app, "token", "revoke", str(live)).exit_code == 0
    assert client.get("/api/v1/units", headers=bearer(new)).status_code == 401
    assert run_cli(app, "token", "revoke", "999999").exit_code != 0


def test_only_admins_manage_access(client, world):
    target = world.user_ids["tpn"]
    for who in ("coordinator", "inspectorate", "tpn"):
        assert client.get("/api/v1/users", headers=world.auth(who)).status_code == 403
        assert client.patch(f"/api/v1/users/{target}", json={"active": False},
                            headers=world.auth(who)).status_code == 403
        assert client.post(f"/api/v1/users/{target}/tokens",
                           headers=world.auth(who)).status_code == 403
    assert units(client, world, "tpn").status_code == 200
    me = world.user_ids["admin"]
    assert client.patch(f"/api/v1/users/{me}", json={"active": False},
                        headers=world.auth("admin")).status_code == 409


def test_a_role_change_is_checked_like_a_creation(app, client, world):
    target = world.user_ids["other_coordinator"]
    url = f"/api/v1/users/{target}"
    admin = world.auth("admin")
    no_instansi = client.patch(url, json={"role": "inspectorate"}, headers=admin)
    assert no_instansi.status_code == 400 and "instansi" in no_instansi.json["errors"]
    national = client.patch(url, json={"role": "tpn", "units": [world.unit.id]}, headers=admin)
    assert national.status_code == 400 and "unit" in national.json["errors"]
    foreign = client.patch(url, json={"role": "inspectorate", "instansi_id": world.instansi.id,
                                      "units": [world.foreign_unit.id]}, headers=admin)
    assert foreign.status_code == 400 and "unit" in foreign.json["errors"]
    assert client.patch(url, json={"active": "yes"}, headers=admin).status_code == 400
    assert client.patch(url, json={}, headers=admin).status_code == 400
    ok = client.patch(url, json={"role": "inspectorate", "instansi_id": world.instansi.id},
                      headers=admin)
    assert ok.status_code == 200 and (ok.json["role"], ok.json["unit_ids"]) == ("inspectorate", [])
    cli = run_cli(app, "user", "set-role", str(target), "--role", "admin",
                  "--instansi", str(world.instansi.id))
    assert cli.exit_code != 0 and "instansi" in cli.output
    cli = run_cli(app, "user", "set-role", str(target), "--role", "coordinator",
                  "--unit", str(world.other_unit.id))
    assert cli.exit_code == 0, cli.output


@pytest.mark.parametrize("email", ["bukan-alamat", "a@b", "x@@uji.go.id", "spasi @uji.go.id",
                                   "@uji.go.id"])
def test_an_address_that_is_not_one_is_refused(app, world, email):
    with pytest.raises(InvalidInput) as refused:
        create_user(email, "tpn")
    assert "email" in refused.value.errors


@pytest.mark.parametrize(("role", "unit", "instansi"), [
    ("coordinator", False, False),
    ("inspectorate", False, False),
    ("tpn", True, False),
    ("admin", False, True),
    ("inspectorate", "foreign", True),
])
def test_contradicting_role_and_scope_is_refused_at_creation(app, world, role, unit, instansi):
    unit_ids = {False: (), True: (world.unit.id,), "foreign": (world.foreign_unit.id,)}[unit]
    with pytest.raises(InvalidInput):
        create_user("baru@uji.go.id", role, unit_ids, world.instansi.id if instansi else None)
