"""PortalRB (tests/api/portalrb_client.py, written from the README alone) pulls from a served
app: both lists, every unit's answers, each checked against its master list."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from waitress import create_server

from tests.api.helpers import REG_52
from tests.api.portalrb_client import PortalRB, master_soal
from tests.api.portalrb_setup import (
    FETCHING,
    TAHUN,
    integration_token,
    proposal_by_flow,
    seed_proposal,
)
from tests.conftest import _unit
from workflow.db import db
from workflow.models import PortalrbFetch


class Flaky:
    """Answers 503 the first ``failures[path]`` times a path is asked for (a server in
    trouble), then lets the app answer."""

    def __init__(self, app: Flask) -> None:
        self.app, self.failures, self.lock = app, {}, threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            left = self.failures.get(environ["PATH_INFO"], 0)
            self.failures[environ["PATH_INFO"]] = max(left - 1, 0)
        if left:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        return self.app(environ, start_response)


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[str, Flaky]]:
    """The app behind waitress on a free local port, as ``zi serve`` runs it."""
    flaky = Flaky(app)
    server = create_server(flaky, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()

    def serve() -> None:  # waitress's own loop, in short turns, so it can stop cleanly
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}/api/portalrb", flaky
    finally:
        stop.set()
        thread.join(timeout=10)
        server.close()


def test_portalrb_pulls_every_unit_and_finds_nothing_wrong(client, world, served):
    base, flaky = served
    proposal_by_flow(client, world)  # U1: WBK, answered over HTTP through the whole process
    u3, u4, u5 = (_unit(world.instansi, code) for code in ("U3", "U4", "U5"))
    u3.afirmasi = True
    db.session.commit()
    seed_proposal(world, world.other_unit, "WBBM", "penetapan")
    seed_proposal(world, u3, "WBK", "reviu_tpn", rubric="lke-portalrb-2026")
    seed_proposal(world, u4, "WBK", "reviu_tpn", answered=False)  # nulls are valid answers
    seed_proposal(world, u5, "WBK", "reviu_tpn", regulation=REG_52)  # never seen
    seed_proposal(world, world.foreign_unit, "WBK", "reviu_tpn")
    token = integration_token(world.instansi.id)
    flaky.failures["/api/portalrb/lke/jawaban-unit/U1"] = 1

    portalrb = PortalRB(base, token, sleep=lambda seconds: None)
    with time_machine.travel(FETCHING):
        sync = portalrb.pull()

    assert sync.problems == [] and sync.failed == []
    assert sync.tahun == TAHUN
    assert {unit_id: unit["kategori"] for unit_id, unit in sync.units.items()} == {
        "U1": "WBK", "U3": "WBK-AFIRMASI", "U4": "WBK", "U2": "WBBM"}
    assert portalrb.waits == [0]  # U1's first try failed: retried at once
    soal = master_soal()
    for unit_id in ("U1", "U2", "U3"):
        answers = sync.answers[unit_id]["answers"]
        assert all(a["jawaban_unit"] is not None and a["jawaban_tpi"] is not None
                   for a in answers), unit_id
        counts = [a for a in answers if soal[a["soal_id"]]["jenis_jawaban"] in ("Jumlah",
                                                                                 "jumlah")]
        assert len(counts) == 22 and all(a["jawaban_unit"].isdigit() for a in counts)
    assert {a["jawaban_unit"] for a in sync.answers["U4"]["answers"]} == {None}
    fetched = {row.case_id for row in db.session.query(PortalrbFetch).all()}
    assert len(fetched) == 4


def test_a_unit_that_keeps_failing_is_marked_failed_until_refetched(client, world, served):
    base, flaky = served
    seed_proposal(world, world.unit)
    seed_proposal(world, world.other_unit)
    token = integration_token(world.instansi.id)
    flaky.failures["/api/portalrb/lke/jawaban-unit/U2"] = 4
    portalrb = PortalRB(base, token, sleep=lambda seconds: None)
    with time_machine.travel(FETCHING):
        sync = portalrb.pull()
        assert sync.failed == ["U2"] and list(sync.answers) == ["U1"]
        assert portalrb.waits == [0, 60, 120]
        portalrb.refetch("U2", sync)
    assert sync.failed == [] and sync.problems == [] and set(sync.answers) == {"U1", "U2"}


def test_portalrb_sees_its_errors_in_its_own_format(world, served):
    base, _ = served
    seed_proposal(world, world.foreign_unit)
    portalrb = PortalRB(base, "zirb_not-a-token", sleep=lambda seconds: None)
    status, body = portalrb.get("/pengusulan/unit-wbk")
    assert (status, body["error"], body["code"]) == (401, True, "UNAUTHORIZED")
    portalrb.token = integration_token(world.instansi.id)
    status, body = portalrb.get("/lke/jawaban-unit/F1")
    assert (status, body["code"]) == (403, "FORBIDDEN")
    assert portalrb.waits == []  # a 4xx is an answer, not a failure to retry
