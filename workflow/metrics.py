"""The domain's Prometheus metrics: transitions fired and duty sweeps. The web process serves
them at ``/metrics``; with ``PROMETHEUS_MULTIPROC_DIR`` set (the same directory for every
process of a host) prometheus_client shares them between processes, the scheduler's
sweep gauges included."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

TRANSITIONS = Counter("zi_transitions", "Workflow transitions fired, by trigger", ["trigger"])
SWEEP_LAST_SUCCESS = Gauge("zi_sweep_last_success_timestamp_seconds",
                           "When the last successful duty sweep finished (Unix time)",
                           multiprocess_mode="max")
SWEEP_LAST_DURATION = Gauge("zi_sweep_last_duration_seconds",
                            "How long the last successful duty sweep took",
                            multiprocess_mode="mostrecent")
SWEEP_FAILURES = Counter("zi_sweep_failures", "Duty sweeps that failed")
