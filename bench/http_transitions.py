"""Transitions over HTTP: the service under ``zi serve`` (waitress, the README's production
server) against a minimal Flask endpoint doing the floor's SQL under the same server
settings, each driven by ``size.processes`` clients at once; and the SQL statements one
transition request costs the service, token lookup and answer included.

Both sides run the same four steps on pre-made cases: submit_to_tpi, tpi_return,
submit_to_tpi, tpi_approve (cases already a year in pembangunan, so no clock is needed).
The sides take turns, ``ROUNDS`` times each, so that a slow moment of the machine (a
checkpoint, another process) falls on both alike. In each round every client first runs
``WARM_UP`` cases untimed, then waits at a barrier for the others: timed each on its own, the
client processes (which start one after another) would overlap only in part. A side's rate
is its timed requests over its rounds' windows, each from the barrier to the last client's
end.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, update

from bench.harness import Result, Size, migrated_app, raw_dsn
from bench.population import analysed, background_cases, lifecycle_cases, people_and_units
from bench.transitions import WARM_UP, prepare_floor

STEPS = (("submit_to_tpi", "coordinator", None), ("tpi_return", "inspectorate", "Perbaiki"),
         ("submit_to_tpi", "coordinator", None), ("tpi_approve", "inspectorate", None))
FLOOR_STEPS = ("start_building", "submit_to_tpi", "tpi_approve", "designate")
ROUNDS = 3
ENV = {"ZI_PROPOSAL_DEADLINE": "12-31"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    """Until the server answers anything at all."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def prepare(url: str, size: Size) -> tuple[list[int], dict[str, str]]:
    """Cases in pembangunan for a year, with every worksheet answered; a token per role."""
    from workflow.db import db
    from workflow.directory import issue_token
    from workflow.models import Case, User

    app = migrated_app(url)
    with app.app_context():
        ids = people_and_units(size.units, size.users)
        background_cases(size.cases, size.units)
        coordinator = 40  # coordinates unit 40, of instansi 1
        count = (max(size.http_requests // len(STEPS), size.processes * ROUNDS) + 1
                 + WARM_UP * size.processes * ROUNDS)
        cases = lifecycle_cases(count, coordinator)
        db.session.execute(update(Case).where(Case.id.in_(cases)).values(
            state="pembangunan", building_since=date(2025, 1, 2)))
        db.session.commit()
        tokens = {role: issue_token(db.session.get(User, user_id), 30)
                  for role, user_id in (("coordinator", coordinator),
                                        ("inspectorate", ids["first_inspectorate"]))}
        analysed()
        db.engine.dispose()
    return cases, tokens


def _post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any],
          token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status not in (200, 201):
        raise RuntimeError(f"{path}: {response.status} {data[:300]!r}")
    return dict(json.loads(data))


#: Set in each client process by ``_drive`` (a barrier passes only at a process's start).
_barrier: Any = None


def _join(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _timed(cases: list[int], lifecycle: Any) -> tuple[float, float, int]:
    """``WARM_UP`` lifecycles untimed, the barrier, then the rest: (start, end, requests)."""
    for case_id in cases[:WARM_UP]:
        lifecycle(case_id)
    _barrier.wait()
    started, done = time.perf_counter(), 0
    for case_id in cases[WARM_UP:]:
        done += lifecycle(case_id)
    return started, time.perf_counter(), done


def service_client(port: int, case_ids: list[int], tokens: dict[str, str]
                   ) -> tuple[float, float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def lifecycle(case_id: int) -> int:
        version = 1
        for trigger, role, reason in STEPS:
            body: dict[str, Any] = {"trigger": trigger, "expected_version": version}
            if reason:
                body["reason"] = reason
            version = _post(conn, f"/api/v1/cases/{case_id}/transitions", body,
                            tokens[role])["version"]
        return len(STEPS)

    return _timed(case_ids, lifecycle)


def floor_client(port: int, case_ids: list[int]) -> tuple[float, float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def lifecycle(case_id: int) -> int:
        version = 1
        for trigger in FLOOR_STEPS:
            version = _post(conn, f"/floor/{case_id}",
                            {"trigger": trigger, "expected_version": version})["version"]
        return len(FLOOR_STEPS)

    return _timed(case_ids, lifecycle)


def _drive(pool: Any, target: Any, jobs: list[tuple[Any, ...]]) -> tuple[int, float]:
    """One round: the requests of all clients together and the window they ran in
    (``perf_counter`` is the system's monotonic clock, the same in every process). The pool
    has one process per job: each waits at the barrier, so no process takes two jobs."""
    results = pool.starmap(target, jobs, chunksize=1)
    return sum(r[2] for r in results), max(r[1] for r in results) - min(r[0] for r in results)


def _rounds(ids: list[int], clients: int) -> list[list[list[int]]]:
    """The cases of each round, split among the clients."""
    return [[ids[r::ROUNDS][c::clients] for c in range(clients)] for r in range(ROUNDS)]


def statements_per_request(url: str, case_id: int, tokens: dict[str, str]) -> float:
    """The SQL one transition request costs inside the service (the Flask test client runs
    the same app in this process, so its statements can be counted)."""
    from workflow.db import db

    app = migrated_app(url, **{key.removeprefix("ZI_"): value for key, value in ENV.items()})
    counted = 0

    def count(*_: Any) -> None:
        nonlocal counted
        counted += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    client = app.test_client()
    version, requests = 1, 0
    for trigger, role, reason in STEPS:
        body: dict[str, Any] = {"trigger": trigger, "expected_version": version}
        if reason:
            body["reason"] = reason
        response = client.post(f"/api/v1/cases/{case_id}/transitions", json=body,
                               headers={"Authorization": f"Bearer {tokens[role]}"})
        if response.status_code != 200:
            raise RuntimeError(f"{trigger}: {response.status_code} {response.json}")
        version = response.json["version"]
        requests += 1
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", count)
        db.engine.dispose()
    return counted / requests


def run(url: str, size: Size) -> list[Result]:
    cases, tokens = prepare(url, size)
    per_request = statements_per_request(url, cases[0], tokens)
    cases = cases[1:]
    dsn = raw_dsn(url)
    floor_ids = prepare_floor(dsn, len(cases), first=1)
    service_port, floor_port = _free_port(), _free_port()
    zi = str(Path(sys.executable).with_name("zi"))
    env = {**os.environ, **ENV, "DATABASE_URL": url}
    service = subprocess.Popen([zi, "serve", "--port", str(service_port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    floor = subprocess.Popen([sys.executable, "-m", "bench.floor_app", "--port", str(floor_port),
                              "--dsn", dsn], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(size.processes)
    requests, seconds = {"service": 0, "floor": 0}, {"service": 0.0, "floor": 0.0}
    try:
        _wait_for(service_port, service)
        _wait_for(floor_port, floor)
        with context.Pool(size.processes, initializer=_join, initargs=(barrier,)) as pool:
            for service_parts, floor_parts in zip(_rounds(cases, size.processes),
                                                  _rounds(floor_ids, size.processes),
                                                  strict=True):
                rounds = {"service": _drive(pool, service_client, [
                              (service_port, part, tokens) for part in service_parts]),
                          "floor": _drive(pool, floor_client, [
                              (floor_port, part) for part in floor_parts])}
                for side, (done, window) in rounds.items():
                    requests[side] += done
                    seconds[side] += window
    finally:
        for process in (service, floor):
            process.terminate()
            process.wait(timeout=30)
    service_rate = requests["service"] / seconds["service"]
    floor_rate = requests["floor"] / seconds["floor"]
    detail = (f"service {service_rate:.0f} req/s, floor endpoint {floor_rate:.0f} req/s, "
              f"{size.processes} clients, {ROUNDS} rounds each, at {datetime.now(UTC):%H:%M}Z")
    return [
        Result("statements_per_transition_over_http", per_request, 8, "lower",
               "token lookup, transition and answer; floor: 5"),
        Result("http_transition_rate_vs_floor_endpoint", service_rate / floor_rate, 0.7,
               "higher", detail),
    ]

