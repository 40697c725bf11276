"""Issue 9: the migration that keys the audit trail (``0005_trust``) reseals the chains
written before it, on a database that has them, SQLite and PostgreSQL alike.

Before ``0005_trust`` an event's hash was a plain SHA-256 and the case kept no head. After
the upgrade every chain verifies with the configured key (and fails with any other), each
case's head is its newest event, and on PostgreSQL the events can no longer be edited.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api import MIGRATIONS, create_app
from api.config import normalise_url
from workflow.audit import verify_chains
from workflow.db import db

BEFORE = "0006_portalrb"  # the revision 0005_trust follows
KEY = "reseal-test-key-0123456789abcdef"
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
#: (case state, the events of its chain: action, from_state, to_state)
CHAINS = {
    "pembangunan": [("open_case", None, "pencanangan"),
                    ("put_declaration", "pencanangan", "pencanangan"),
                    ("start_building", "pencanangan", "pembangunan")],
    "pencanangan": [("open_case", None, "pencanangan")],
}


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    url = make_url(normalise_url(server))
    name = f"zi_reseal_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _unkeyed(fields: dict) -> str:
    """The hash before 0005_trust: SHA-256 of the canonical content, no key."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_old_chains(connection: sa.Connection) -> dict[int, list[str]]:
    """Rows as the code before 0005_trust wrote them; returns each case's old hashes."""
    meta = sa.MetaData()
    meta.reflect(connection, only=["instansi", "unit", "app_user", "zi_case", "audit_event"])
    table = meta.tables
    instansi = connection.execute(table["instansi"].insert().values(
        name="Kementerian Lama", kind="kementerian", created_at=T0)).inserted_primary_key[0]
    unit = connection.execute(table["unit"].insert().values(
        instansi_id=instansi, name="Unit Lama", code="L1", eselon=3, strategic_service=True,
        rb_implemented=True, large_resources=True, created_at=T0)).inserted_primary_key[0]
    user = connection.execute(table["app_user"].insert().values(
        email="lama@uji.go.id", name="Lama", role="coordinator", instansi_id=instansi,
        language="id", daily_digest=False, active=True, created_at=T0)).inserted_primary_key[0]
    hashes: dict[int, list[str]] = {}
    for state, events in CHAINS.items():
        case = connection.execute(table["zi_case"].insert().values(
            unit_id=unit, target="WBK" if state == "pembangunan" else "WBBM", year=2025,
            regulation="permenpanrb-52-2014", state=state, version=len(events),
            created_at=T0)).inserted_primary_key[0]
        prev = "0" * 64
        hashes[case] = []
        for seq, (action, from_state, to_state) in enumerate(events, start=1):
            row = {"case_id": case, "seq": seq, "action": action, "actor_id": user,
                   "actor_email": "lama@uji.go.id", "role": "coordinator",
                   "from_state": from_state, "to_state": to_state, "reason": None,
                   "score": {"staff_total": 40} if action == "put_declaration" else None,
                   "case_version": seq, "occurred_at": T0 + timedelta(days=seq),
                   "prev_hash": prev}
            row["hash"] = prev = _unkeyed(row)
            connection.execute(table["audit_event"].insert().values(**row))
            hashes[case].append(prev)
    return hashes


def test_the_reseal_migration_keys_chains_written_before_it(tmp_path):
    with fresh_database(tmp_path) as url:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                          "INSTANCE_PATH": str(tmp_path), "AUDIT_KEY": KEY})
        with app.app_context():
            try:
                flask_migrate.upgrade(directory=MIGRATIONS, revision=BEFORE)
                with db.engine.begin() as connection:
                    old = _write_old_chains(connection)
                flask_migrate.upgrade(directory=MIGRATIONS)

                assert verify_chains(KEY.encode()) == []
                assert {link.kind for link in verify_chains(b"another key")} == {"edited"}
                with db.engine.connect() as connection:
                    for case_id, hashes in old.items():
                        events = connection.execute(sa.text(
                            "SELECT seq, prev_hash, hash FROM audit_event WHERE case_id = :c "
                            "ORDER BY seq"), {"c": case_id}).all()
                        assert [e.seq for e in events] == list(range(1, len(hashes) + 1))
                        assert not {e.hash for e in events} & set(hashes)  # all resealed
                        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
                        head = connection.execute(sa.text(
                            "SELECT audit_seq, audit_hash FROM zi_case WHERE id = :c"),
                            {"c": case_id}).one()
                        assert tuple(head) == (events[-1].seq, events[-1].hash)
                if db.engine.dialect.name == "postgresql":
                    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                        with db.engine.begin() as connection:
                            connection.execute(sa.text(
                                "UPDATE audit_event SET reason = 'rewritten'"))
            finally:
                db.session.remove()
                db.engine.dispose()
