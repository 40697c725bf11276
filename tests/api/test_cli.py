"""The `zi` command: user creation prints the token last, the demo loads once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_zi_help_shows_an_operator_no_developer_commands_or_options(tmp_path):
    """Flask's --app/--debug, Flask-Limiter's `limiter`, Alembic's revision/downgrade/stamp and
    `zi db --directory` are not listed (they are the developers' or an extension's)."""
    zi = str(Path(sys.executable).with_name("zi"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'zi.sqlite'}",
           "ZI_INSTANCE_PATH": str(tmp_path)}

    def help_of(*args: str) -> str:
        done = subprocess.run([zi, *args, "--help"], env=env, capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    top = help_of()
    listed = [line.split()[0] for line in top.split("Commands:")[1].strip().splitlines()]
    assert "limiter" not in listed and {"db", "serve", "check", "user", "token"} <= set(listed)
    for option in ("--app", "--debug", "--env-file"):
        assert option not in top
    db_help = help_of("db")
    assert [line.split()[0] for line in db_help.split("Commands:")[1].strip().splitlines()
            ] == ["current", "upgrade"]
    assert "--directory" not in db_help and "--x-arg" not in db_help
    assert "list-config-prefixes" not in help_of("openapi")
