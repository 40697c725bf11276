"""Request ids, the access log (text or JSON) and /metrics after a lifecycle."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from api.logs import JsonFormatter
from tests.api.helpers import to_penetapan
from tests.ops.helpers import zi_env
from workflow import scheduler
from workflow.db import db
from workflow.models import OutboxMessage

TRANSITIONS_ROUTE = "/api/v1/cases/<int:case_id>/transitions"


def test_a_sane_request_id_is_kept_and_any_other_replaced(client, world):
    kept = client.get("/livez", headers={"X-Request-ID": "lb-7f3a:42"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a:42"
    for bad in ("a" * 129, "evil\u00e9id", "two words"):
        replaced = client.get("/livez", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    generated = client.get("/api/v1/units", headers=world.auth("coordinator"))
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["X-Request-ID"])


def test_one_access_line_per_request_with_who_and_how_long(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="zi.access"):
        client.get("/api/v1/units", headers={**world.auth("coordinator"), "X-Request-ID": "r1"})
        client.get("/api/v1/units", headers={"X-Request-ID": "r2"})
    first, second = [r for r in caplog.records if r.name == "zi.access"]
    assert first.getMessage().startswith(
        "GET /api/v1/units 200 ") and first.getMessage().endswith(
        f"ms user={world.user_ids['coordinator']} request_id=r1")
    assert (second.status, second.user_id, second.request_id) == (401, None, "r2")
    line = json.loads(JsonFormatter().format(first))
    assert line["logger"] == "zi.access" and line["level"] == "INFO"
    assert {key: line[key] for key in ("method", "path", "status", "user_id", "request_id")} == {
        "method": "GET", "path": "/api/v1/units", "status": 200,
        "user_id": world.user_ids["coordinator"], "request_id": "r1"}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def _metrics(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    text = client.get("/metrics").get_data(as_text=True)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_after_a_lifecycle(app, client, world):
    before = _metrics(client)
    case = to_penetapan(client, world)
    jobs = scheduler.build_scheduler(app)
    assert scheduler.run_sweep(app, jobs) is not None
    after = _metrics(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    for trigger in ("start_building", "submit_to_tpi", "tpi_approve", "designate"):
        assert grew("zi_transitions_total", trigger=trigger) == 1
    assert grew("zi_http_requests_total", method="POST", route=TRANSITIONS_ROUTE,
                status="200") == 4
    assert grew("zi_http_request_duration_seconds_count", method="POST",
                route=TRANSITIONS_ROUTE) == 4
    assert grew("zi_http_requests_total", method="GET", route="/metrics", status="200") == 1
    pending = db.session.execute(select(func.count()).where(
        OutboxMessage.status == "pending")).scalar_one()
    assert pending > 0 and case["state"] == "penetapan"
    assert after[("zi_outbox_messages", (("status", "pending"),))] == pending
    assert after[("zi_outbox_messages", (("status", "failed"),))] == 0
    assert after[("zi_outbox_oldest_unsent_age_seconds", ())] >= 0
    assert after[("zi_database_up", ())] == 1
    assert after[("zi_sweep_last_success_timestamp_seconds", ())] > 0
    assert after[("zi_sweep_last_duration_seconds", ())] > 0


SWEEP_IN_ANOTHER_PROCESS = """
from api import create_app
from workflow import scheduler
app = create_app()
assert scheduler.run_sweep(app, scheduler.build_scheduler(app)) is not None
"""
SCRAPE = """
from api import create_app
print(create_app().test_client().get("/metrics").get_data(as_text=True))
"""


def test_with_a_multiprocess_directory_the_web_process_shows_the_schedulers_sweep(
        migrated_app, database_url, tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = zi_env(database_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(shared))
    subprocess.run([sys.executable, "-c", SWEEP_IN_ANOTHER_PROCESS], env=env, cwd=tmp_path,
                   check=True, capture_output=True)
    scraped = subprocess.run([sys.executable, "-c", SCRAPE], env=env, cwd=tmp_path, check=True,
                             capture_output=True, text=True).stdout
    samples = {sample.name: sample.value for family in text_string_to_metric_families(scraped)
               for sample in family.samples}
    assert samples["zi_sweep_last_success_timestamp_seconds"] > 0
    assert samples["zi_sweep_last_duration_seconds"] > 0
    assert samples["zi_database_up"] == 1
