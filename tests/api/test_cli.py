"""The `zi` command: user creation prints the token last, the demo loads once."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.workflow.test_audit import run_cli
from workflow.db import db
from workflow.directory import authenticate, hash_token
from workflow.models import ApiToken, Case, Instansi


def test_user_add_prints_the_token_alone_on_the_last_line(app, client, world):
    result = run_cli(app, "user", "add", "--email", "Baru@Uji.go.id", "--role", "coordinator",
                     "--unit", str(world.unit.id), "--instansi", str(world.instansi.id),
                     "--language", "en", "--digest")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert " " not in token and len(token) >= 40
    user = authenticate(token)
    assert user is not None and user.email == "baru@uji.go.id" and user.unit_ids == {
        world.unit.id}
    assert (user.language, user.daily_digest) == ("en", True)
    stored = db.session.execute(select(ApiToken.token_hash).where(ApiToken.user_id == user.id)
                                ).scalar_one()
    assert stored == hash_token(token) and token not in stored
    units = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).json
    assert [u["id"] for u in units] == [world.unit.id]


def test_user_add_refuses_bad_input(app, world):
    no_unit = run_cli(app, "user", "add", "--email", "x@uji.go.id", "--role", "coordinator")
    assert no_unit.exit_code != 0 and "unit" in no_unit.output
    dup = run_cli(app, "user", "add", "--email", "tpn@uji.go.id", "--role", "tpn")
    assert dup.exit_code != 0 and "already" in dup.output
    bad_role = run_cli(app, "user", "add", "--email", "y@uji.go.id", "--role", "king")
    assert bad_role.exit_code != 0


def test_demo_loads_once_and_prints_working_tokens(app, client):
    first = run_cli(app, "demo")
    assert first.exit_code == 0, first.output
    second = run_cli(app, "demo")
    assert second.exit_code == 0
    assert db.session.execute(select(func.count(Instansi.id))).scalar() == 1
    assert db.session.execute(select(func.count(Case.id))).scalar() == 2
    exports = dict(line.split("  #")[0].removeprefix("export ").split("=", 1)
                   for line in second.output.splitlines() if line.startswith("export"))
    coordinator = {"Authorization": f"Bearer {exports['ZI_COORDINATOR_TOKEN']}"}
    case = client.get(f"/api/v1/cases/{exports['ZI_CASE']}", headers=coordinator)
    assert case.status_code == 200 and case.json["state"] == "pencanangan"
    assert exports["ZI_COORDINATOR_TOKEN"] not in first.output
    earlier = [line.split("=", 1)[1].split()[0] for line in first.output.splitlines()
               if line.startswith("export ZI_") and "TOKEN" in line]
    assert len(earlier) == 4
    for token in earlier:  # a second run revokes what the first printed
        assert client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}
                          ).status_code == 401
