"""Transitions in process: the service against the database's floor and against SpiffWorkflow.

Every side runs the same four steps on its own pre-made cases (start_building,
submit_to_tpi, tpi_approve, designate), in ``size.processes`` processes at once, each step
one durable transaction:
- the service: ``workflow.cases.fire_transition`` with every guard, audit event and notice;
- the floor: raw psycopg doing the least a durable transition needs (``SELECT … FOR
  UPDATE`` of the case, the previous audit hash, ``UPDATE`` of state and version, ``INSERT``
  of the audit row and of one outbox row: 5 statements);
- SpiffWorkflow 3: the same steps as BPMN user tasks, the workflow state deserialised and
  serialised at every step, with the same audit and outbox rows.
Every process of every side first runs ``WARM_UP`` lifecycles untimed, then waits for the
others: the timed parts of a side run at the same time.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import event

from bench.harness import Result, Size, migrated_app, raw_dsn
from bench.population import (
    analysed,
    background_cases,
    lifecycle_cases,
    people_and_units,
)

STEPS = (("start_building", "coordinator"), ("submit_to_tpi", "coordinator"),
         ("tpi_approve", "inspectorate"), ("designate", "tpn"))
# A day inside the proposal window, 13 months after building started.
DECIDED = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
STARTED = DECIDED - timedelta(days=400)
FLOOR_DDL = """
CREATE TABLE IF NOT EXISTS floor_case (id bigint PRIMARY KEY, state text NOT NULL,
    version int NOT NULL, unit_id bigint NOT NULL, payload jsonb);
CREATE TABLE IF NOT EXISTS floor_audit (id bigserial PRIMARY KEY, case_id bigint NOT NULL,
    seq int NOT NULL, action text NOT NULL, actor_id bigint, from_state text, to_state text,
    occurred_at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
    UNIQUE (case_id, seq));
CREATE TABLE IF NOT EXISTS floor_outbox (id bigserial PRIMARY KEY, idempotency_key text UNIQUE,
    recipient text NOT NULL, template text NOT NULL, context jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
"""
NEXT_STATE = {"start_building": ("pencanangan", "pembangunan"),
              "submit_to_tpi": ("pembangunan", "pengusulan"),
              "tpi_approve": ("pengusulan", "reviu_tpn"),
              "designate": ("reviu_tpn", "penetapan")}


# Each process first runs this many lifecycles untimed, on every side: what is measured is
# the steady rate (imports, statement caches and prepared statements warm), not start-up.
# psycopg prepares a statement on its fifth execution on a connection: the service's
# statements differ by trigger, so each is run five times before the clock starts.
WARM_UP = 5


def _split(ids: list[int], parts: int) -> list[list[int]]:
    return [ids[i::parts] for i in range(parts)]


def _run_parallel(target: Any, jobs: list[tuple[Any, ...]]) -> list[Any]:
    """Run every job in its own fresh process; gather what each returns. Each gets a barrier
    to wait at once warm (its last argument): the timed parts of all start together, so
    they share the machine as the measure says (processes start up at different speeds)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(len(jobs)) as pool:
        warm = manager.Barrier(len(jobs))
        return pool.starmap(target, [(*job, warm) for job in jobs])


# --- the service --------------------------------------------------------------------------

def service_worker(url: str, case_ids: list[int], actor_ids: dict[str, int], warm: Any
                   ) -> tuple[float, int, int]:
    """(seconds in transitions, transitions, SQL statements) for this process's cases."""
    from workflow.cases import fire_transition
    from workflow.db import db
    from workflow.models import User
    from workflow.process import settle

    app = migrated_app(url, PROPOSAL_DEADLINE="12-31")
    settle()  # as ``zi serve`` does once its app is built
    statements = 0
    with app.app_context():
        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        actors = {role: db.session.get(User, user_id) for role, user_id in actor_ids.items()}
        db.session.commit()
        seconds, done = 0.0, 0
        for n, case_id in enumerate(case_ids):
            if n == WARM_UP:
                warm.wait()
                event.listen(db.engine, "before_cursor_execute", count)
                statements, seconds, done = 0, 0.0, 0
            version = 1
            for trigger, role in STEPS:
                now = STARTED if trigger == "start_building" else DECIDED
                started = time.perf_counter()
                case = fire_transition(actors[role], case_id, trigger, version, now=now)
                version = case.version
                seconds += time.perf_counter() - started
                done += 1
        event.remove(db.engine, "before_cursor_execute", count)
    return seconds, done, statements


def prepare_service(url: str, size: Size, count: int) -> tuple[list[int], dict[str, int]]:
    app = migrated_app(url)
    from workflow.db import db
    with app.app_context():
        ids = people_and_units(size.units, size.users)
        background_cases(size.cases, size.units)
        coordinator = 40  # coordinates unit 40, of instansi 1 (40 % 40 + 1)
        cases = lifecycle_cases(count, coordinator)
        analysed()
        db.engine.dispose()
    return cases, {"coordinator": coordinator, "inspectorate": ids["first_inspectorate"],
                   "tpn": ids["first_tpn"]}


# --- the floor ----------------------------------------------------------------------------

def _hash(prev: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps({**fields, "prev_hash": prev}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def floor_transition(conn: psycopg.Connection, case_id: int, trigger: str, expected: int,
                     actor_id: int) -> int:
    """One durable transition, the least a correct one can do: 5 statements, one commit."""
    with conn.cursor() as cur:
        cur.execute("SELECT state, version FROM floor_case WHERE id = %s FOR UPDATE", (case_id,))
        state, version = cur.fetchone()  # type: ignore[misc]
        before, after = NEXT_STATE[trigger]
        if version != expected or state != before:
            raise RuntimeError("stale")
        cur.execute("SELECT seq, hash FROM floor_audit WHERE case_id = %s "
                    "ORDER BY seq DESC LIMIT 1", (case_id,))
        last = cur.fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, "0" * 64)
        now = datetime.now(UTC)
        cur.execute("UPDATE floor_case SET state = %s, version = version + 1 WHERE id = %s",
                    (after, case_id))
        fields = {"case_id": case_id, "seq": seq, "action": trigger, "actor_id": actor_id,
                  "from_state": before, "to_state": after, "occurred_at": now.isoformat()}
        digest = _hash(prev, fields)
        cur.execute("INSERT INTO floor_audit (case_id, seq, action, actor_id, from_state, "
                    "to_state, occurred_at, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, "
                    "%s, %s, %s) RETURNING id", (case_id, seq, trigger, actor_id, before,
                                                after, now, prev, digest))
        event_id = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("INSERT INTO floor_outbox (idempotency_key, recipient, template, context) "
                    "VALUES (%s, %s, %s, %s)",
                    (f"audit_event:{event_id}:user:1", "tpi1@bench.go.id", "transition_notice",
                     json.dumps({"case_id": case_id, "trigger": trigger})))
    conn.commit()
    return version + 1


def floor_worker(dsn: str, case_ids: list[int], warm: Any) -> tuple[float, int]:
    with psycopg.connect(dsn) as conn:
        seconds, done = 0.0, 0
        for n, case_id in enumerate(case_ids):
            if n == WARM_UP:
                warm.wait()
                seconds, done = 0.0, 0
            version = 1
            for trigger, _ in STEPS:
                started = time.perf_counter()
                version = floor_transition(conn, case_id, trigger, version, 1)
                seconds += time.perf_counter() - started
                done += 1
    return seconds, done


def prepare_floor(dsn: str, count: int, first: int = 1) -> list[int]:
    ids = list(range(first, first + count))
    with psycopg.connect(dsn) as conn:
        conn.execute(FLOOR_DDL)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO floor_case (id, state, version, unit_id) "
                            "VALUES (%s, 'pencanangan', 1, 1)", [(i,) for i in ids])
        conn.commit()
    return ids


# --- SpiffWorkflow ------------------------------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="zi"
  targetNamespace="http://zi.bench/bpmn"><bpmn:process id="zi" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="start_building"/>
<bpmn:userTask id="start_building"/>
<bpmn:sequenceFlow id="f1" sourceRef="start_building" targetRef="submit_to_tpi"/>
<bpmn:userTask id="submit_to_tpi"/>
<bpmn:sequenceFlow id="f2" sourceRef="submit_to_tpi" targetRef="tpi_approve"/>
<bpmn:userTask id="tpi_approve"/>
<bpmn:sequenceFlow id="f3" sourceRef="tpi_approve" targetRef="designate"/>
<bpmn:userTask id="designate"/>
<bpmn:sequenceFlow id="f4" sourceRef="designate" targetRef="end"/>
<bpmn:endEvent id="end"/></bpmn:process></bpmn:definitions>"""


def _spiff() -> tuple[Any, Any, Any, Any]:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.encode())
    return parser.get_spec("zi"), BpmnWorkflow, BpmnWorkflowSerializer(), TaskState


def spiff_worker(dsn: str, case_ids: list[int], warm: Any) -> tuple[float, int]:
    spec, workflow_class, serializer, task_state = _spiff()
    with psycopg.connect(dsn) as conn:
        seconds, done = 0.0, 0
        for n, case_id in enumerate(case_ids):
            if n == WARM_UP:
                warm.wait()
                seconds, done = 0.0, 0
            for trigger, _ in STEPS:
                started = time.perf_counter()
                with conn.cursor() as cur:
                    cur.execute("SELECT payload FROM floor_case WHERE id = %s FOR UPDATE",
                                (case_id,))
                    workflow = serializer.deserialize_json(
                        json.dumps(cur.fetchone()[0]))  # type: ignore[index]
                    ready = workflow.get_tasks(state=task_state.READY, manual=True)
                    if [task.task_spec.name for task in ready] != [trigger]:
                        raise RuntimeError(f"spiff: {trigger} not ready")
                    ready[0].run()
                    workflow.do_engine_steps()
                    cur.execute("SELECT seq, hash FROM floor_audit WHERE case_id = %s "
                                "ORDER BY seq DESC LIMIT 1", (case_id,))
                    last = cur.fetchone()
                    seq, prev = (last[0] + 1, last[1]) if last else (1, "0" * 64)
                    now = datetime.now(UTC)
                    before, after = NEXT_STATE[trigger]
                    cur.execute("UPDATE floor_case SET state = %s, version = version + 1, "
                                "payload = %s WHERE id = %s",
                                (after, serializer.serialize_json(workflow), case_id))
                    digest = _hash(prev, {"case_id": case_id, "seq": seq, "action": trigger})
                    cur.execute("INSERT INTO floor_audit (case_id, seq, action, actor_id, "
                                "from_state, to_state, occurred_at, prev_hash, hash) VALUES "
                                "(%s, %s, %s, 1, %s, %s, %s, %s, %s) RETURNING id",
                                (case_id, seq, trigger, before, after, now, prev, digest))
                    event_id = cur.fetchone()[0]  # type: ignore[index]
                    cur.execute("INSERT INTO floor_outbox (idempotency_key, recipient, "
                                "template, context) VALUES (%s, %s, %s, %s)",
                                (f"audit_event:{event_id}:user:1", "tpi1@bench.go.id",
                                 "transition_notice", json.dumps({"case_id": case_id})))
                conn.commit()
                seconds += time.perf_counter() - started
                done += 1
    return seconds, done


def prepare_spiff(dsn: str, count: int, first: int) -> list[int]:
    spec, workflow_class, serializer, _ = _spiff()
    ids = prepare_floor(dsn, count, first)
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            for case_id in ids:
                workflow = workflow_class(spec)
                workflow.do_engine_steps()
                cur.execute("UPDATE floor_case SET payload = %s WHERE id = %s",
                            (serializer.serialize_json(workflow), case_id))
        conn.commit()
    return ids


# --- the measures -------------------------------------------------------------------------

def _rate(results: list[tuple[Any, ...]]) -> float:
    """Transitions per second of all processes together (each ran at the same time)."""
    done = sum(r[1] for r in results)
    return done / max(r[0] for r in results)


def run(url: str, size: Size) -> list[Result]:
    dsn = raw_dsn(url)
    count = size.lifecycles + WARM_UP * size.processes
    cases, actors = prepare_service(url, size, count)
    floor_ids = prepare_floor(dsn, count, first=1)
    spiff_ids = prepare_spiff(dsn, count, first=count + 1)
    parts = size.processes
    service = _run_parallel(service_worker, [(url, part, actors)
                                             for part in _split(cases, parts)])
    floor = _run_parallel(floor_worker, [(dsn, part) for part in _split(floor_ids, parts)])
    spiff = _run_parallel(spiff_worker, [(dsn, part) for part in _split(spiff_ids, parts)])
    service_rate, floor_rate, spiff_rate = _rate(service), _rate(floor), _rate(spiff)
    per_transition = sum(r[2] for r in service) / sum(r[1] for r in service)
    detail = (f"service {service_rate:.0f}/s, floor {floor_rate:.0f}/s, "
              f"SpiffWorkflow {spiff_rate:.0f}/s, {parts} processes")
    return [
        Result("statements_per_transition_in_process", per_transition, 7, "lower",
               f"floor: 5; {size.lifecycles * len(STEPS)} transitions"),
        Result("transition_rate_vs_floor", service_rate / floor_rate, 0.5, "higher", detail),
        Result("transition_rate_vs_spiffworkflow", service_rate / spiff_rate, 2, "higher",
               detail),
    ]
