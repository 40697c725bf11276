"""The audit chains: intact after a lifecycle, and every kind of break named (issue 9).

A forger here has the database (on PostgreSQL as its superuser, who can switch the
append-only triggers off for a transaction) but not the audit key.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from api.cli import main
from tests.api.helpers import put_declaration, to_penetapan
from workflow.audit import CASE_FIELDS, event_content, event_hash, keyed_hash, verify_chains
from workflow.db import db
from workflow.models import AuditEvent, Case


def run_cli(app, *args):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def events(case_id):
    return db.session.execute(select(AuditEvent).where(AuditEvent.case_id == case_id)
                              .order_by(AuditEvent.seq)).scalars().all()


def tamper(*statements):
    """Run raw SQL as the database's owner would, past the append-only triggers."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement, params in statements:
        db.session.execute(text(statement), params)
    db.session.commit()


def UNLINK_DECISION(event_id):  # noqa: N802 (a statement, read like the others)
    """A decision's assessment names its event: the forger unlinks it before deleting."""
    return ("UPDATE assessment SET decided_event_id = NULL WHERE decided_event_id = :id",
            {"id": event_id})


def kinds(broken):
    return [(b.chain, b.owner_id, b.kind) for b in broken]


def test_chain_is_intact_after_a_lifecycle_and_the_head_is_its_last_event(app, client, world):
    case = to_penetapan(client, world)
    assert verify_chains() == []
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 0 and "OK" in result.output, result.output
    chain = events(case["id"])
    assert chain[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:],
                                                                         strict=False))
    row = db.session.get(Case, case["id"])
    assert (row.audit_seq, row.audit_hash) == (chain[-1].seq, chain[-1].hash)
    assert row.version == case["version"]  # moving the head did not bump the version


def test_the_hash_is_keyed(app, client, world):
    case = to_penetapan(client, world)
    first = events(case["id"])[0]
    assert first.hash == event_hash(first)
    assert first.hash != event_hash(first, key=b"another key, same content")
    plain = json.dumps(event_content(first, CASE_FIELDS), sort_keys=True,
                       separators=(",", ":"), ensure_ascii=False)
    assert first.hash != hashlib.sha256(plain.encode()).hexdigest()
    assert verify_chains(key=b"not the key of this database") != []


def test_editing_an_event_is_named_at_that_event(app, client, world):
    case = to_penetapan(client, world)
    target = events(case["id"])[3]
    target_id, target_seq = target.id, target.seq
    tamper(("UPDATE audit_event SET reason = 'diubah' WHERE id = :id", {"id": target_id}))
    broken = verify_chains()
    assert kinds(broken) == [("case", case["id"], "edited")]
    assert broken[0].event_id == target_id
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"case {case['id']}: event {target_id} (seq {target_seq}) edited" in result.output


def test_a_chain_recomputed_without_the_key_is_caught_at_the_first_forged_event(app, client,
                                                                              world):
    """The forger edits an event, then rehashes it and every later one (with plain SHA-256
    or a guessed key) and moves the head: the first forged event no longer matches."""
    case = to_penetapan(client, world)
    chain = events(case["id"])
    forged_id = chain[2].id
    forged_key = b"a guessed key"
    prev = chain[1].hash
    statements = []
    for number, event in enumerate(chain[2:]):
        fields = event_content(event, CASE_FIELDS)
        fields["prev_hash"] = prev
        if number == 0:
            fields["reason"] = "dipalsukan"
        prev = keyed_hash(forged_key, fields)
        statements.append(("UPDATE audit_event SET reason = :reason, prev_hash = :prev, "
                           "hash = :hash WHERE id = :id",
                           {"reason": fields["reason"], "prev": fields["prev_hash"],
                            "hash": prev, "id": event.id}))
    statements.append(("UPDATE zi_case SET audit_hash = :hash WHERE id = :id",
                       {"hash": prev, "id": case["id"]}))
    tamper(*statements)
    broken = verify_chains()
    assert kinds(broken) == [("case", case["id"], "edited")]
    assert broken[0].event_id == forged_id


def test_deleting_an_event_in_the_middle_is_named(app, client, world):
    case = to_penetapan(client, world)
    gone = events(case["id"])[2]
    gone_id, gone_seq = gone.id, gone.seq
    tamper(("DELETE FROM audit_event WHERE id = :id", {"id": gone_id}))
    broken = verify_chains()
    assert kinds(broken) == [("case", case["id"], "missing_event")]
    assert broken[0].seq == gone_seq + 1


def test_deleting_the_newest_event_is_named_by_the_head(app, client, world):
    case = to_penetapan(client, world)
    newest_id = events(case["id"])[-1].id
    tamper(UNLINK_DECISION(newest_id), ("DELETE FROM audit_event WHERE id = :id",
                                        {"id": newest_id}))
    broken = verify_chains()
    assert kinds(broken) == [("case", case["id"], "head_mismatch")]
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1 and "head_mismatch" in result.output


def test_deleting_a_whole_chain_is_named(app, client, world):
    case = to_penetapan(client, world)
    tamper(("UPDATE assessment SET decided_event_id = NULL WHERE case_id = :id",
            {"id": case["id"]}),
           ("DELETE FROM audit_event WHERE case_id = :id", {"id": case["id"]}))
    assert kinds(verify_chains()) == [("case", case["id"], "chain_missing")]


def test_a_state_no_event_explains_is_named(app, client, world):
    case = to_penetapan(client, world)
    tamper(("UPDATE zi_case SET state = 'pengusulan' WHERE id = :id", {"id": case["id"]}))
    assert kinds(verify_chains()) == [("case", case["id"], "state_unexplained")]


def test_the_application_cannot_update_or_delete_events(app, client, world):
    """PostgreSQL: the migration's triggers refuse it. SQLite has no such guard (documented);
    there the chain check is what catches it."""
    case = to_penetapan(client, world)
    first_id = events(case["id"])[0].id
    if db.session.get_bind().dialect.name == "postgresql":
        for statement in ("UPDATE audit_event SET reason = 'x' WHERE id = :id",
                          "DELETE FROM audit_event WHERE id = :id"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(statement), {"id": first_id})
            db.session.rollback()
        assert verify_chains() == []
    else:
        db.session.execute(text("UPDATE audit_event SET reason = 'x' WHERE id = :id"),
                           {"id": first_id})
        db.session.commit()
        assert kinds(verify_chains()) == [("case", case["id"], "edited")]


def test_an_anchor_catches_a_chain_rewound_with_its_head(app, client, world, tmp_path):
    case = to_penetapan(client, world)
    anchor = tmp_path / "anchor.json"
    assert run_cli(app, "audit", "anchor", "--output", str(anchor)).exit_code == 0
    assert run_cli(app, "audit", "verify", "--anchor", str(anchor)).exit_code == 0
    chain = [(event.id, event.seq, event.hash, event.to_state)
             for event in events(case["id"])]
    # Forger: drop the designation and put the case back where the chain now ends.
    tamper(UNLINK_DECISION(chain[-1][0]),
           ("DELETE FROM audit_event WHERE id = :id", {"id": chain[-1][0]}),
           ("UPDATE zi_case SET state = :state, audit_seq = :seq, audit_hash = :hash "
            "WHERE id = :id", {"state": chain[-2][3], "seq": chain[-2][1],
                               "hash": chain[-2][2], "id": case["id"]}))
    assert verify_chains() == []  # consistent without the anchor
    result = run_cli(app, "audit", "verify", "--anchor", str(anchor))
    assert result.exit_code == 1
    assert f"case {case['id']}: rewound" in result.output
    forged = json.loads(anchor.read_text())
    forged["heads"][f"case:{case['id']}"] = [chain[-2][1], chain[-2][2]]
    anchor.write_text(json.dumps(forged))
    result = run_cli(app, "audit", "verify", "--anchor", str(anchor))
    assert result.exit_code == 1 and "anchor_invalid" in result.output


def test_a_declaration_change_is_audited_with_its_figures(app, client, world):
    from tests.api.helpers import open_case

    case = open_case(client, world)
    body = {"staff_total": 50, "pakta_signed": 41, "head_signed": True,
            "commitment_statement": "Komitmen.", "team": ["Ketua"]}
    assert put_declaration(client, world, case, body).status_code == 200
    event = events(case["id"])[-1]
    assert event.action == "put_declaration"
    assert event.score == body
