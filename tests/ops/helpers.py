"""Running ``zi`` as operators do: real processes, real ports, a throwaway PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ZI = str(Path(sys.executable).with_name("zi"))
PG_VERSION = "15"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zi_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("ZI_", "SMTP_")) and key not in ("DATABASE_URL", "MAIL_FROM")}
    return {**clean, "DATABASE_URL": database_url, "ZI_INSTANCE_PATH": str(instance), **extra}


def zi(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ZI, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def wait_for(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    """Poll a condition; the limit only stops a hung test, it is not what is tested."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@contextmanager
def throwaway_postgres() -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL cluster of our own on a free port (the shared one is never touched):
    yields its URL and a function that stops it; dropped afterwards."""
    name, port = f"zi_test_{uuid.uuid4().hex[:10]}", free_port()
    subprocess.run(["pg_createcluster", PG_VERSION, name, "-p", str(port), "--",
                    "--auth=trust"], check=True, capture_output=True)
    try:
        subprocess.run(["pg_ctlcluster", PG_VERSION, name, "start"], check=True,
                       capture_output=True)

        def stop() -> None:
            subprocess.run(["pg_ctlcluster", PG_VERSION, name, "stop", "-m", "fast"],
                           check=True, capture_output=True)

        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", stop
    finally:
        subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, name], capture_output=True)
