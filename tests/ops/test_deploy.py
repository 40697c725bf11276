"""deploy/ and README "Running in production" stay true: the example settings are valid, the
units run commands that exist, and the README's PostgreSQL roles work (the application role
reads and writes rows, cannot change the schema or rewrite the audit trail)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from api import MIGRATIONS, config, create_app
from api.cli import main
from tests.api.helpers import GOOD_DECLARATION
from tests.ops.helpers import throwaway_postgres
from workflow.db import db
from workflow.directory import create_user

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_the_example_settings_are_valid_and_all_known(monkeypatch, tmp_path, caplog):
    for name in [n for n in os.environ if n.startswith(("ZI_", "SMTP_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    for line in (DEPLOY / "zi.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value)
    settings = config.load()
    assert settings.SMTP_STARTTLS is True and settings.LOG_FORMAT == "json"
    assert not caplog.records  # no unknown ZI_ variable


@pytest.mark.parametrize("unit", ["zi-web.service", "zi-dispatcher.service",
                                  "zi-scheduler.service"])
def test_each_unit_runs_a_zi_command_that_exists(unit):
    lines = (DEPLOY / unit).read_text().splitlines()
    commands = [shlex.split(line.partition("=")[2]) for line in lines
                if line.startswith(("ExecStart=", "ExecStartPre="))]
    assert commands
    for command in commands:
        assert command[0] == "/opt/zi/venv/bin/zi"
        context = main.make_context("zi", command[1:], resilient_parsing=True)
        name, sub, args = main.resolve_command(context, command[1:])
        assert sub is not None and name == command[1], command
        sub.make_context(name, args)  # the options parse


def test_the_readmes_roles_keep_the_application_off_the_schema_and_the_audit_trail(tmp_path):
    readme = (ROOT / "README.md").read_text()
    sql = re.search(r"\*\*PostgreSQL roles\.\*\*.*?```sql\n(.*?)```", readme, re.S)
    assert sql is not None
    server_part, _, database_part = sql[1].partition("\\c zi\n")
    before_upgrade, _, after_upgrade = database_part.partition("-- after each")
    after_upgrade = after_upgrade.partition("\n")[2]
    with throwaway_postgres() as (url, _stop):
        for target, script in ((url, server_part), (url.rsplit("/", 1)[0] + "/zi",
                                                      before_upgrade)):
            engine = create_engine(target, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                for statement in _statements(script):
                    conn.execute(text(statement.replace("'…'", "'secret'")))
            engine.dispose()
        owner = f"postgresql://zi_owner:secret@127.0.0.1:{_port(url)}/zi"
        app_url = f"postgresql://zi_app:secret@127.0.0.1:{_port(url)}/zi"
        migrator = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": owner})
        with migrator.app_context():
            flask_migrate.upgrade(directory=MIGRATIONS)
            db.engine.dispose()
        zi = create_engine(url.rsplit("/", 1)[0] + "/zi", isolation_level="AUTOCOMMIT")
        with zi.connect() as conn:
            for statement in _statements(after_upgrade):
                conn.execute(text(statement))
        zi.dispose()

        app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": app_url})
        with app.app_context():
            _, token = create_user("admin@uji.go.id", "admin", ttl_days=30)
            db.session.remove()
            client = app.test_client()
            auth = {"Authorization": f"Bearer {token}"}
            assert client.get("/readyz").status_code == 200
            instansi = client.post("/api/v1/instansi", headers=auth,
                                   json={"name": "Kementerian Uji", "kind": "kementerian"})
            assert instansi.status_code == 201, instansi.json
            unit = client.post("/api/v1/units", headers=auth, json={
                "instansi_id": instansi.json["id"], "name": "Unit", "code": "U", "eselon": 3,
                "strategic_service": True, "rb_implemented": True, "large_resources": True})
            case = client.post(f"/api/v1/units/{unit.json['id']}/cases", headers=auth, json={
                "target": "WBK", "year": 2026, "regulation": "permenpanrb-52-2014"})
            assert case.status_code == 201, case.json
            _, coordinator_token = create_user(
                "koordinator@uji.go.id", "coordinator", [unit.json["id"]],
                instansi.json["id"], ttl_days=30)
            db.session.remove()
            declared = client.put(
                f"/api/v1/cases/{case.json['id']}/declaration",
                headers={"Authorization": f"Bearer {coordinator_token}"},
                json={**GOOD_DECLARATION, "expected_version": case.json["version"]})
            assert declared.status_code == 200, declared.json
            for forbidden in ("UPDATE audit_event SET reason = 'rewritten'",
                              "DELETE FROM audit_event", "CREATE TABLE sneaky (id int)",
                              "ALTER TABLE zi_case ADD COLUMN sneaky int"):
                with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
                    db.session.execute(text(forbidden))
                db.session.rollback()
            db.session.remove()
            db.engine.dispose()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _port(url: str) -> str:
    return url.rsplit(":", 1)[1].split("/", 1)[0]
