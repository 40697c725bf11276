"""E-mail is never lost and never silently sent twice (issue 9): an attempt is recorded
before sending, a dispatcher killed (SIGKILL) between the server's receipt and its own
record sends that message at most once more, with the same Message-ID, and a second such
death holds it for an operator; an SMTP outage of hours fails nothing for good."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select, text

from notifications.dispatcher import dispatch_once
from tests.notifications.conftest import Mailbox, free_port, queue, reminder
from tests.notifications.test_processes import _env, _zi
from tests.workflow.test_audit import run_cli
from workflow.db import db
from workflow.models import OutboxAttempt, OutboxMessage


def attempts(row_id):
    return [(a.outcome, a.smtp_code) for a in db.session.execute(
        select(OutboxAttempt).where(OutboxAttempt.message_id == row_id)
        .order_by(OutboxAttempt.id)).scalars()]


def row(row_id):
    db.session.expire_all()
    found = db.session.get(OutboxMessage, row_id)
    assert found is not None
    return found


def killed_after_receipt(smtp: Mailbox, database_url, port, tmp_path) -> None:
    """Run `zi dispatcher --once`; the server receives the message, then SIGKILLs the
    dispatcher and waits for it to be dead before answering 250."""
    started = threading.Event()
    holder: list[subprocess.Popen[str]] = []

    def kill() -> None:
        started.wait(30)
        holder[0].kill()
        holder[0].wait()

    smtp.on_accept = kill
    db.session.remove()
    process = subprocess.Popen([*_zi(), "dispatcher", "--once"], text=True,
                               env=_env(database_url, port, tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    holder.append(process)
    started.set()
    process.communicate(timeout=60)
    assert process.returncode == -9
    smtp.on_accept = None
    # Time passes: the dead dispatcher's lease runs out.
    db.session.execute(text("UPDATE outbox_message SET lease_until = :past"),
                       {"past": datetime.now(UTC) - timedelta(hours=1)})
    db.session.commit()


def test_a_dispatcher_killed_between_send_and_record_sends_once_more_with_the_same_id(
        world, mailbox, delivery, database_url, tmp_path):
    smtp, port = mailbox
    row_id = queue(world.user_ids["coordinator"], "duty_overdue",
                   reminder(1, world.unit.id, "Unit U1", offset_days=None))
    killed_after_receipt(smtp, database_url, port, tmp_path)
    assert len(smtp.received) == 1
    assert attempts(row_id) == [("started", None)]  # recorded before the send
    assert row(row_id).status == "sending"

    report = dispatch_once(delivery)
    assert (report.sent, report.uncertain) == (1, 0)
    assert len(smtp.received) == 2
    first, second = (r.message["Message-ID"] for r in smtp.received)
    assert first == second == row(row_id).rfc_message_id
    assert attempts(row_id) == [("unknown", None), ("sent", 250)]
    assert row(row_id).status == "sent"
    assert dispatch_once(delivery).claimed == 0


def test_a_second_death_holds_the_message_for_an_operator(app, world, mailbox, delivery,
                                                          database_url, tmp_path):
    smtp, port = mailbox
    row_id = queue(world.user_ids["coordinator"], "duty_overdue",
                   reminder(2, world.unit.id, "Unit U1", offset_days=None))
    killed_after_receipt(smtp, database_url, port, tmp_path)
    killed_after_receipt(smtp, database_url, port, tmp_path)
    assert len(smtp.received) == 2

    report = dispatch_once(delivery)
    assert (report.sent, report.uncertain) == (0, 0)  # held at the claim, not sent
    held = row(row_id)
    assert held.status == "uncertain" and "interrupted" in (held.last_error or "")
    assert attempts(row_id) == [("unknown", None), ("unknown", None)]
    assert [r.message["To"] for r in smtp.received].count("coordinator@uji.go.id") == 2
    alert = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.template == "delivery_failed")).scalar_one()
    assert alert.context["failed_message_id"] == row_id

    listed = run_cli(app, "outbox", "list")
    assert listed.exit_code == 0 and f"{row_id}\tuncertain" in listed.output
    shown = run_cli(app, "outbox", "show", str(row_id))
    assert shown.output.count("unknown") == 2, shown.output
    assert run_cli(app, "outbox", "retry", str(row_id)).exit_code == 0
    assert run_cli(app, "outbox", "retry", str(row_id)).exit_code != 0  # pending now
    dispatch_once(delivery)
    assert row(row_id).status == "sent"
    assert attempts(row_id) == [("unknown", None), ("unknown", None), ("requeued", None),
                                ("sent", 250)]


def test_an_smtp_outage_of_hours_fails_nothing_and_the_admins_alerts_survive_it(
        world, smtp, delivery):
    import dataclasses

    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    down = dataclasses.replace(delivery, smtp_port=free_port())  # nobody listens there
    with time_machine.travel(start, tick=False) as traveller:
        reminder_id = queue(world.user_ids["coordinator"], "duty_overdue",
                            reminder(3, world.unit.id, "Unit U1", offset_days=None))
        alert_id = queue(world.user_ids["admin"], "delivery_failed", {
            "failed_message_id": 999, "failed_template": "duty_overdue",
            "failed_recipient": "x@uji.go.id", "attempts": 3, "smtp_code": 550,
            "detail": "5.1.1 unknown", "failed_at": start.isoformat()})
        for _ in range(12 * 6):  # every 10 minutes for 12 hours
            dispatch_once(down)
            traveller.shift(timedelta(minutes=10))
        assert {row(reminder_id).status, row(alert_id).status} == {"pending"}
        assert len(attempts(reminder_id)) >= 10  # more than the old fixed count allowed
        traveller.shift(timedelta(hours=1))
        report = dispatch_once(delivery)
    assert report.sent == 2
    assert {row(reminder_id).status, row(alert_id).status} == {"sent"}


def test_admins_see_failed_and_uncertain_deliveries_over_the_api(client, world, smtp,
                                                                 delivery):
    smtp.data_replies = ["550 5.1.1 No such user"]
    row_id = queue(world.user_ids["tpn"], "duty_overdue",
                   reminder(4, world.unit.id, "Unit U1", offset_days=None))
    dispatch_once(delivery)
    listed = client.get("/api/v1/outbox", headers=world.auth("admin"))
    assert listed.status_code == 200
    assert [(m["id"], m["status"]) for m in listed.json] == [(row_id, "failed")]
    assert "5.1.1" in listed.json[0]["last_error"]
    shown = client.get(f"/api/v1/outbox/{row_id}", headers=world.auth("admin"))
    assert [(a["outcome"], a["smtp_code"]) for a in shown.json["attempt_log"]] == [
        ("permanent", 550)]
    assert client.get("/api/v1/outbox", headers=world.auth("tpn")).status_code == 403
    assert client.get("/api/v1/outbox?status=bogus",
                      headers=world.auth("admin")).status_code == 400
    retried = client.post(f"/api/v1/outbox/{row_id}/retry", headers=world.auth("admin"))
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    assert client.post(f"/api/v1/outbox/{row_id}/retry",
                       headers=world.auth("admin")).status_code == 409
    dispatch_once(delivery)
    assert row(row_id).status == "sent"


def test_a_lease_running_short_mid_chunk_gives_the_rest_back_unstarted(world, smtp, delivery):
    """Messages are started a chunk at a time (issue 11): when the lease runs short after the
    first send, the rest of the chunk is given back with no ``started`` attempt left behind
    (none of it went to SMTP), so the next claim sends each once, not as interrupted."""
    ids = [queue(world.user_ids["coordinator"], "duty_reminder",
                 reminder(n, world.unit.id, "Unit U1")) for n in range(3)]
    start = datetime.now(UTC)

    def clock() -> datetime:  # an hour passes during the first conversation
        return start + (timedelta(hours=1) if smtp.received else timedelta(0))

    report = dispatch_once(dataclasses.replace(delivery, lease_seconds=600), clock=clock)
    assert (report.sent, report.released, report.uncertain) == (3, 2, 0)
    assert len(smtp.received) == 3
    assert [attempts(row_id) for row_id in ids] == [[("sent", 250)]] * 3
    assert {row(row_id).status for row_id in ids} == {"sent"}
