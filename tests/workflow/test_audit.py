"""The audit chain: intact after a lifecycle, broken by any edit, named by `zi audit verify`."""

from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import select, text

from api.cli import main
from tests.api.helpers import to_penetapan
from workflow.audit import event_hash, verify_chains
from workflow.db import db
from workflow.models import AuditEvent


def run_cli(app, *args):
    return CliRunner().invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app))


def events(case_id):
    return db.session.execute(select(AuditEvent).where(AuditEvent.case_id == case_id)
                              .order_by(AuditEvent.seq)).scalars().all()


def test_chain_is_intact_after_a_lifecycle(app, client, world):
    case = to_penetapan(client, world)
    assert verify_chains() == []
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 0 and "OK" in result.output
    chain = events(case["id"])
    assert chain[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:],
                                                                         strict=False))


def test_editing_a_row_breaks_the_chain_at_that_event(app, client, world):
    case = to_penetapan(client, world)
    target = events(case["id"])[3]
    db.session.execute(text("UPDATE audit_event SET reason = 'diubah' WHERE id = :id"),
                       {"id": target.id})
    db.session.commit()
    broken = verify_chains()
    assert [(b.case_id, b.event_id) for b in broken] == [(case["id"], target.id)]
    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"event {target.id} (seq {target.seq})" in result.output


def test_deleting_a_row_breaks_the_chain(app, client, world):
    case = to_penetapan(client, world)
    gone = events(case["id"])[2]
    gone_id, gone_seq = gone.id, gone.seq
    db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": gone_id})
    db.session.commit()
    broken = verify_chains()
    assert len(broken) == 1 and broken[0].seq == gone_seq + 1
    assert "sequence" in broken[0].problem


def test_rehashing_an_edited_row_is_still_caught_by_the_next_link(app, client, world):
    case = to_penetapan(client, world)
    chain = events(case["id"])
    edited = chain[1]
    edited.reason = "dipalsukan"
    edited.hash = event_hash(edited)  # a forger who recomputes the row's own hash
    db.session.commit()
    broken = verify_chains()
    assert [b.event_id for b in broken] == [chain[2].id]
