"""No statement on a hot path whose cost grows with users, units or cases.

At national size (``size.users`` users, ``size.cases`` cases), every statement the service
runs on a transition lifecycle, a sign-in (the token lookup of any request) and the list and
pages is captured with its parameters and EXPLAINed on PostgreSQL. A sequential
scan of a table holding more than half the population (users or cases, whichever is fewer)
is what grows with it: the measure is how many such scans there are (goal 0). The instansi
dashboard aggregates every case of its instansi by design; bench/dashboard.py measures it.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from sqlalchemy import event

from bench.harness import Result, Size, migrated_app, raw_dsn
from bench.http_transitions import ENV, STEPS, prepare


def _seq_scans(plan: dict[str, Any], sizes: dict[str, float], large: float) -> list[str]:
    found = []
    if plan.get("Node Type") == "Seq Scan" and sizes.get(plan.get("Relation Name", ""), 0) \
            > large:
        found.append(str(plan["Relation Name"]))
    for child in plan.get("Plans", ()):
        found += _seq_scans(child, sizes, large)
    return found


def capture(url: str, case_id: int, tokens: dict[str, str]) -> list[tuple[str, str, Any]]:
    """(path, statement, parameters) of every statement the requests below run: a lifecycle,
    then the pages of a coordinator of one unit (user 1, unit 1, background case 1) and of
    the inspectorate."""
    from workflow.db import db
    from workflow.directory import issue_token
    from workflow.models import User

    app = migrated_app(url, **{key.removeprefix("ZI_"): value for key, value in ENV.items()})
    seen: list[tuple[str, str, Any]] = []
    current = {"path": ""}

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((current["path"], statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    client = app.test_client()
    with app.app_context():
        one_unit = issue_token(db.session.get(User, 1), 30)
        db.session.commit()
    coordinator = {"Authorization": f"Bearer {one_unit}"}
    inspectorate = {"Authorization": f"Bearer {tokens['inspectorate']}"}
    version = 1
    for trigger, role, reason in STEPS:
        current["path"] = f"transition {trigger}"
        body: dict[str, Any] = {"trigger": trigger, "expected_version": version}
        if reason:
            body["reason"] = reason
        response = client.post(f"/api/v1/cases/{case_id}/transitions", json=body,
                               headers={"Authorization": f"Bearer {tokens[role]}"})
        if response.status_code != 200:
            raise RuntimeError(f"{trigger}: {response.status_code} {response.json}")
        version = response.json["version"]
    for path, headers in (("/api/v1/cases/1", coordinator),
                          ("/api/v1/units/1/cases", coordinator),
                          ("/api/v1/units", inspectorate),
                          ("/api/v1/duties", inspectorate),
                          ("/api/v1/cases/1/history", coordinator)):
        current["path"] = f"GET {path}"
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.json}")
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", record)
        db.engine.dispose()
    return seen


def run(url: str, size: Size) -> list[Result]:
    cases, tokens = prepare(url, size)
    statements = capture(url, cases[0], tokens)
    growing: list[str] = []
    with psycopg.connect(raw_dsn(url)) as conn:
        conn.execute("ANALYZE")
        sizes = {name: float(rows) for name, rows in conn.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")}
        for path, statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                continue
            plan = conn.execute("EXPLAIN (FORMAT JSON) " + statement, parameters).fetchone()
            conn.rollback()
            tree = plan[0] if isinstance(plan[0], list) else json.loads(plan[0])  # type: ignore[index]
            for table in _seq_scans(tree[0]["Plan"], sizes, min(size.users, size.cases) / 2):
                growing.append(f"{path}: seq scan of {table} in "
                               f"{' '.join(statement.split())[:300]}")
    detail = (f"{len(statements)} statements at {size.users} users / {size.cases} cases"
              + ("; " + "; ".join(sorted(set(growing))) if growing else ""))
    return [Result("statements_growing_with_population", len(growing), 0, "lower", detail)]
