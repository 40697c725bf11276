"""Start, run, stop: /livez and /readyz, 503 while the database is down, zi check, zi serve
refusing to start, and SIGTERM finishing the request in flight."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request

import flask_migrate

from api import MIGRATIONS, create_app
from api.health import migration_heads
from tests.ops.helpers import free_port, throwaway_postgres, wait_for, zi, zi_env
from workflow.db import db
from workflow.directory import create_user

HEAD = ", ".join(sorted(migration_heads()))


def test_livez_and_readyz_when_all_is_well(client):
    assert client.get("/livez").json == {"status": "ok"}
    for path in ("/readyz", "/healthz"):
        ready = client.get(path)
        assert ready.status_code == 200 and ready.json == {"status": "ok", "revision": HEAD}


def test_readyz_is_503_with_the_reason_while_migrations_are_pending(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.sqlite'}"})
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "30"
    assert ready.json["code"] == "migrations_pending"
    assert ready.json["reason"].endswith("run `zi db upgrade`")
    assert app.test_client().get("/livez").status_code == 200


def test_a_stopped_database_answers_503_and_every_tool_says_so_in_one_line(tmp_path):
    with throwaway_postgres() as (url, stop):
        app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url,
                          "RETRY_AFTER_SECONDS": 7})
        with app.app_context():
            flask_migrate.upgrade(directory=MIGRATIONS)
            _, token = create_user("admin@uji.go.id", "admin", ttl_days=30)
            db.session.remove()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/instansi", headers=auth).status_code == 200
        assert client.get("/readyz").status_code == 200

        stop()
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json["code"] == "database_unavailable"
        assert ready.headers["Retry-After"] == "7"
        listed = client.get("/api/v1/instansi", headers=auth)
        assert listed.status_code == 503 and listed.headers["Retry-After"] == "7"
        assert listed.json["code"] == "database_unavailable"
        assert client.get("/livez").status_code == 200

        env = zi_env(url, tmp_path)
        checked = zi("check", env=env, cwd=tmp_path)
        assert checked.returncode == 1
        assert checked.stdout.splitlines()[1].startswith("FAIL database: database unavailable")
        served = zi("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
        assert served.returncode == 1
        [line] = served.stderr.splitlines()
        assert line.startswith("Error: not starting: database unavailable")


def test_zi_check_passes_on_a_good_set_up_and_names_what_is_broken(tmp_path):
    env = zi_env(f"sqlite:///{tmp_path / 'zi.sqlite'}", tmp_path)
    unmigrated = zi("check", env=env, cwd=tmp_path)
    assert unmigrated.returncode == 1
    assert [line.split(":")[0] for line in unmigrated.stdout.splitlines()] == [
        "ok   configuration", "ok   database", "FAIL migrations", "ok   rubric data",
        "ok   storage"]
    assert zi("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    good = zi("check", env=env, cwd=tmp_path)
    assert good.returncode == 0, good.stdout
    assert [line[:4] for line in good.stdout.splitlines()] == ["ok  "] * 5
    assert f"ok   migrations: at head {HEAD}" in good.stdout.splitlines()

    (tmp_path / "a-file").write_text("")
    no_storage = zi("check", env={**env, "ZI_STORAGE_DIR": str(tmp_path / "a-file")},
                    cwd=tmp_path)
    assert no_storage.returncode == 1 and "FAIL storage: " in no_storage.stdout
    bad_setting = zi("check", env={**env, "ZI_DIGEST_HOUR": "25"}, cwd=tmp_path)
    assert bad_setting.returncode == 1
    assert bad_setting.stdout.splitlines() == [
        "FAIL configuration: invalid configuration: ZI_DIGEST_HOUR='25': expected less than "
        "or equal to 23"]
    smtp = zi("check", "--smtp", env={**env, "SMTP_PORT": str(free_port())}, cwd=tmp_path)
    assert smtp.returncode == 1 and smtp.stdout.splitlines()[-1].startswith("FAIL smtp: ")


def test_zi_serve_refuses_a_port_that_is_taken(migrated_app, database_url, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = zi("serve", "--port", str(port), env=zi_env(database_url, tmp_path),
                    cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: not starting: cannot listen on 127.0.0.1:{port}: Address already in use"]


SLOW_SERVER = """
import sys, time
from pathlib import Path
import api.cli_ops
from api.cli import run

base = api.cli_ops.create_app
marker = Path(sys.argv[1])

def with_a_slow_route():
    app = base()
    def slow():
        (marker / "started").touch()
        while not (marker / "release").exists():
            time.sleep(0.02)
        return "done"
    app.add_url_rule("/slow", view_func=slow)
    return app

api.cli_ops.create_app = with_a_slow_route
sys.argv = ["zi", "serve", "--port", sys.argv[2]]
run()
"""


def test_sigterm_stops_accepting_and_finishes_the_request_in_flight(
        migrated_app, database_url, tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", textwrap.dedent(SLOW_SERVER), str(tmp_path),
                               str(port)], env=zi_env(database_url, tmp_path), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base + "/livez"), "the server to listen")
        answer: dict[str, object] = {}

        def slow_request() -> None:
            with urllib.request.urlopen(base + "/slow", timeout=60) as response:
                answer.update(status=response.status, body=response.read().decode())

        client = threading.Thread(target=slow_request)
        client.start()
        wait_for((tmp_path / "started").exists, "the slow request to start")
        server.send_signal(signal.SIGTERM)
        wait_for(lambda: not _answers(base + "/livez"), "the server to stop accepting")
        (tmp_path / "release").touch()
        client.join(60)
        assert answer == {"status": 200, "body": "done"}
        out, err = server.communicate(timeout=60)
        assert server.returncode == 0, err
        assert out.splitlines()[-2:] == [
            "stopping: no new connections; finishing the requests in flight", "stopped"]
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


