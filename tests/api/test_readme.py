"""The README's curl walk-through, run as written against a live `zi serve`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.workflow.test_audit import run_cli

README = Path(__file__).resolve().parents[2] / "README.md"


def _walk_through() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Walk-through with curl"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_walk_through_runs_as_written(app, database_url, tmp_path):
    demo = run_cli(app, "demo")
    assert demo.exit_code == 0, demo.output
    env = {**os.environ, "DATABASE_URL": database_url,
           "ZI_INSTANCE_PATH": str(tmp_path / "instance")}
    for line in demo.output.splitlines():
        if line.startswith("export "):
            name, value = line.removeprefix("export ").split("  #")[0].split("=", 1)
            env[name] = value
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # wait for it to listen (not a timing assertion)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.1)
        script = _walk_through().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                                cwd=tmp_path, capture_output=True, text=True)
    finally:
        server.terminate()
        server.wait()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    case_id = env["ZI_CASE"]
    assert lines[:2] == [f'{{"case_id":{case_id},"pakta_signed":30}}', '"pembangunan"']
    assert '"id": "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a",' in result.stdout
    assert lines[-1].startswith('{"changed":[],"case_version":'), result.stdout
    assert (tmp_path / "lke.xlsx").read_bytes()[:2] == b"PK"
