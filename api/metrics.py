"""``/metrics`` in Prometheus' text format: HTTP requests by route and status with their
latency, the domain's counters (``workflow.metrics``), and the outbox as it is at scrape time.

STACK.md: with several processes set ``PROMETHEUS_MULTIPROC_DIR`` (one directory per host,
emptied before the processes start); then every process writes its figures there and this
view adds them up."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from workflow.clock import as_utc, utcnow
from workflow.db import db
from workflow.models import OutboxMessage
from workflow.outage import summary

log = logging.getLogger(__name__)

REQUESTS = Counter("zi_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("zi_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


class OutboxCollector(Collector):
    """Read at scrape time, so it is right whichever process wrote the rows."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("zi_database_up", "1 when the database answered this scrape")
        try:
            counts = {status: count for status, count in db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status.in_(("pending", "sending", "failed")))
                .group_by(OutboxMessage.status)).all()}
            oldest = db.session.execute(
                select(func.min(OutboxMessage.created_at))
                .where(OutboxMessage.status.in_(("pending", "sending")))).scalar()
        except Exception as err:
            log.error("metrics: outbox not read: %s", summary(err))
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        messages = GaugeMetricFamily("zi_outbox_messages", "Outbox messages by status",
                                     labels=["status"])
        for status in ("pending", "sending", "failed"):
            messages.add_metric([status], counts.get(status, 0))
        yield messages
        age = (utcnow() - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("zi_outbox_oldest_unsent_age_seconds",
                                "Age of the oldest message not yet sent (0 when none)",
                                value=max(age, 0.0))


def _process_registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def register(app: Flask) -> None:
    scrape_time = CollectorRegistry()
    scrape_time.register(OutboxCollector())

    @app.get("/metrics")
    def metrics() -> Response:
        body = generate_latest(_process_registry()) + generate_latest(scrape_time)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)
