"""Outbox rows delivered to a real SMTP server: content, retries, failures, leases, digests."""

from __future__ import annotations

import dataclasses
import re
import smtplib
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from notifications.dispatcher import dispatch_once
from notifications.smtp import SmtpSender
from tests.notifications.conftest import free_port, queue, reminder
from workflow.clock import JAKARTA, as_utc
from workflow.db import db
from workflow.models import OutboxAttempt, OutboxMessage, User

NOTICE = {"case_id": 12, "unit_id": 1, "unit_name": "Unit <U1>", "target": "WBK",
          "trigger": "submit_to_tpi", "from_state": "pembangunan", "to_state": "pengusulan",
          "reason": None, "actor_email": "coordinator@uji.go.id",
          "occurred_at": "2026-11-24T03:15:00+00:00"}


def _row(row_id: int) -> OutboxMessage:
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row_id)
    assert row is not None
    return row


def _attempts(row_id: int) -> list[tuple[str, int | None]]:
    return [(a.outcome, a.smtp_code) for a in db.session.execute(
        select(OutboxAttempt).where(OutboxAttempt.message_id == row_id)
        .order_by(OutboxAttempt.id)).scalars()]


def _set_language(user_id: int, language: str) -> None:
    user = db.session.get(User, user_id)
    assert user is not None
    user.language = language
    db.session.commit()


def test_transition_notice_is_received_in_each_recipients_language(world, smtp, delivery):
    _set_language(world.user_ids["tpn"], "en")
    id_row = queue(world.user_ids["inspectorate"], "transition_notice", NOTICE)
    en_row = queue(world.user_ids["tpn"], "transition_notice", NOTICE)

    report = dispatch_once(delivery)

    assert (report.claimed, report.sent, report.failed) == (2, 2, 0)
    [indonesian] = smtp.to("inspectorate@uji.go.id")
    [english] = smtp.to("tpn@uji.go.id")
    assert indonesian.rcpt_tos == ["inspectorate@uji.go.id"]
    assert indonesian.mail_from == "noreply@zi.test"
    assert indonesian.subject == "[ZI] Unit <U1> diajukan ke TPI"
    assert english.subject == "[ZI] Unit <U1> was submitted to the TPI"
    assert indonesian.message["Content-Language"] == "id"
    assert english.message["Content-Language"] == "en"
    assert indonesian.message.get_content_type() == "multipart/alternative"
    text, html = indonesian.part("plain"), indonesian.part("html")
    assert "Unit <U1> diajukan ke TPI." in text
    assert "24 November 2026 pukul 10.15 WIB" in text  # 03:15 UTC shown in Jakarta time
    assert "Pembangunan -> Pengusulan" in text
    assert "Tindak lanjut: http://zi.test/kasus/12" in text
    assert "<strong>Unit &lt;U1&gt;</strong>" in html and "<U1>" not in html
    assert 'href="http://zi.test/kasus/12"' in html
    assert "24 November 2026, 10:15 WIB" in english.part("plain")
    for row_id, received in ((id_row, indonesian), (en_row, english)):
        row = _row(row_id)
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
        assert re.fullmatch(rf"<outbox-{row_id}\.[0-9a-f]{{16}}@zi\.test>", row.rfc_message_id)
        assert received.message["Message-ID"] == row.rfc_message_id
        assert _attempts(row_id) == [("sent", 250)]


def test_duty_reminder_shows_the_due_date_the_indonesian_way_and_the_link(world, smtp,
                                                                       delivery):
    _set_language(world.user_ids["other_coordinator"], "en")
    context = reminder(7, world.unit.id, "Unit U1", due="2026-12-31", offset_days=14)
    queue(world.user_ids["coordinator"], "duty_reminder", context)
    queue(world.user_ids["other_coordinator"], "duty_reminder", context)

    dispatch_once(delivery)

    [indonesian] = smtp.to("coordinator@uji.go.id")
    assert indonesian.subject == ("[ZI] Pengingat: laporan akhir tahun pembangunan ZI Unit U1 "
                                  "jatuh tempo 31 Desember 2026")
    assert "31 Desember 2026 (WIB), 14 hari lagi" in indonesian.part("plain")
    assert "http://zi.test/tugas/7" in indonesian.part("plain")
    [english] = smtp.to("other_coordinator@uji.go.id")
    assert "due on 31 December 2026 (WIB), in 14 days" in english.part("plain")


def test_451_then_250_arrives_once_after_the_backoff(world, smtp, delivery):
    smtp.data_replies = ["451 4.3.0 Try again later"]
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        row_id = queue(world.user_ids["inspectorate"], "transition_notice", NOTICE)

        first = dispatch_once(delivery)
        assert (first.retried, first.sent) == (1, 0)
        assert smtp.received == []
        row = _row(row_id)
        assert (row.status, row.attempts, row.lease_owner) == ("pending", 1, None)
        wait = as_utc(row.next_attempt_at) - start
        assert timedelta(seconds=45) <= wait <= timedelta(seconds=60)  # 60 s minus jitter
        assert row.last_error == "4.3.0 Try again later"
        message_id = row.rfc_message_id

        assert dispatch_once(delivery).claimed == 0  # not before its time
        traveller.shift(timedelta(seconds=61))
        second = dispatch_once(delivery)

    assert (second.sent, second.retried) == (1, 0)
    assert len(smtp.received) == 1
    assert smtp.tried == [message_id, message_id]  # the same Message-ID on the retry
    assert smtp.received[0].message["Message-ID"] == message_id
    assert _attempts(row_id) == [("temporary", 451), ("sent", 250)]
    row = _row(row_id)
    assert (row.status, row.attempts, row.rfc_message_id) == ("sent", 2, message_id)


def test_backoff_doubles_and_gives_up_when_the_time_budget_is_spent(world, smtp, delivery):
    # 288 s: a retry after the third attempt (at most 182 s in, waiting 180 s or more) would
    # end past the budget; the second retry (at most 181 s in) does not.
    settings = dataclasses.replace(delivery, retry_hours=0.08)
    smtp.data_replies = ["452 4.2.2 Mailbox full"] * 3
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        row_id = queue(world.user_ids["coordinator"], "duty_overdue",
                       reminder(3, world.unit.id, "Unit U1", offset_days=None))
        waits = []
        for _ in range(3):
            dispatch_once(settings)
            row = _row(row_id)
            if row.status == "pending":
                waits.append(as_utc(row.next_attempt_at) - datetime.now(UTC))
                traveller.shift(waits[-1] + timedelta(seconds=1))

    assert len(waits) == 2
    assert timedelta(seconds=45) <= waits[0] <= timedelta(seconds=60)
    assert timedelta(seconds=90) <= waits[1] <= timedelta(seconds=120)
    row = _row(row_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in (row.last_error or "")
    assert _attempts(row_id) == [("temporary", 452)] * 3
    assert as_utc(row.give_up_at) == start + timedelta(seconds=288)
    reports = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.template == "delivery_failed")).scalars().all()
    assert [r.recipient_email for r in reports] == ["admin@uji.go.id"]


def test_550_stops_at_once_and_admins_are_told_once(world, smtp, delivery):
    smtp.data_replies = ["550 5.1.1 Mailbox unavailable"]
    row_id = queue(world.user_ids["coordinator"], "transition_notice", NOTICE)

    report = dispatch_once(delivery)

    row = _row(row_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert _attempts(row_id) == [("permanent", 550)]
    assert smtp.tried[0] == row.rfc_message_id
    # the admin's report was written and, being due at once, delivered in the same run
    assert (report.failed, report.sent) == (1, 1)
    [notice] = smtp.to("admin@uji.go.id")
    assert notice.subject == "[ZI] Email gagal terkirim ke coordinator@uji.go.id"
    assert "Kode SMTP  : 550" in notice.part("plain")
    assert "Mailbox unavailable" in notice.part("plain")
    assert dispatch_once(delivery).claimed == 0  # no retry of the failed message
    assert len(smtp.tried) == 2
    reports = db.session.execute(select(OutboxMessage.idempotency_key).where(
        OutboxMessage.template == "delivery_failed")).scalars().all()
    assert reports == [f"delivery_failed:outbox:{row_id}:user:{world.user_ids['admin']}"]


def test_a_refused_recipient_is_permanent_and_a_failed_report_is_not_reported(world, smtp,
                                                                          delivery):
    smtp.rcpt_replies = {"coordinator@uji.go.id": "550 5.1.1 No such user",
                         "admin@uji.go.id": "550 5.1.1 No such user"}
    row_id = queue(world.user_ids["coordinator"], "transition_notice", NOTICE)

    report = dispatch_once(delivery)

    assert _attempts(row_id) == [("permanent", 550)]
    reports = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.template == "delivery_failed")).scalars().all()
    assert len(reports) == 1 and reports[0].status == "failed"  # the report failed too...
    assert report.failed == 2 and smtp.tried == []
    total = db.session.execute(select(OutboxMessage.id)).scalars().all()
    assert len(total) == 2  # ...and was not reported in turn


def test_a_greylisting_4xx_on_a_recipient_is_temporary(world, smtp, delivery):
    smtp.rcpt_replies = {"coordinator@uji.go.id": "450 4.2.0 Greylisted, try later"}
    row_id = queue(world.user_ids["coordinator"], "transition_notice", NOTICE)
    dispatch_once(delivery)
    assert _row(row_id).status == "pending"
    assert _attempts(row_id) == [("temporary", 450)]


def test_a_server_that_refuses_connections_means_retry(world, delivery):
    closed = dataclasses.replace(delivery, smtp_port=free_port())
    ids = [queue(world.user_ids["coordinator"], "transition_notice", NOTICE) for _ in range(3)]
    report = dispatch_once(closed)
    assert (report.retried, report.sent, report.failed) == (3, 0, 0)
    for row_id in ids:
        row = _row(row_id)
        assert row.status == "pending" and (row.last_error or "").startswith("connect:")
        assert _attempts(row_id) == [("temporary", None)]


def test_an_unknown_template_fails_permanently(world, smtp, delivery):
    row_id = queue(world.user_ids["coordinator"], "no_such_template", {})
    dispatch_once(delivery)
    row = _row(row_id)
    assert row.status == "failed" and "UnknownTemplate" in (row.last_error or "")
    assert len(smtp.tried) == 1 and len(smtp.to("admin@uji.go.id")) == 1  # only the report


def test_a_lease_left_by_a_crashed_dispatcher_is_taken_over_after_it_expires(world, smtp,
                                                                          delivery):
    now = datetime.now(UTC)
    crashed = queue(world.user_ids["coordinator"], "transition_notice", NOTICE,
                    status="sending", lease_owner="crashed", lease_until=now - timedelta(1))
    busy = queue(world.user_ids["coordinator"], "transition_notice", NOTICE,
                 status="sending", lease_owner="alive", lease_until=now + timedelta(1))
    report = dispatch_once(delivery)
    assert report.sent == 1
    assert _row(crashed).status == "sent" and _row(busy).status == "sending"
    assert len(smtp.received) == 1


def test_one_connection_carries_every_batch_of_a_run(world, smtp, delivery, monkeypatch):
    opened = []
    original = SmtpSender._open

    def counting(self: SmtpSender) -> smtplib.SMTP:
        opened.append(1)
        return original(self)

    monkeypatch.setattr(SmtpSender, "_open", counting)
    for n in range(5):
        queue(world.user_ids["coordinator"], "duty_reminder",
              reminder(n, world.unit.id, "Unit U1"))
    assert dispatch_once(dataclasses.replace(delivery, batch_size=2)).sent == 5
    assert len(opened) == 1 and len(smtp.received) == 5


def _jakarta(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=JAKARTA)


def test_daily_digest_bundles_a_users_reminders_into_one_email(world, smtp, delivery):
    digest_user, plain_user = world.user_ids["coordinator"], world.user_ids["other_coordinator"]
    user = db.session.get(User, digest_user)
    assert user is not None
    user.daily_digest = True
    db.session.commit()
    with time_machine.travel(_jakarta(1, 6), tick=False) as traveller:
        held = [queue(digest_user, template, reminder(n, world.unit.id, "Unit U1",
                                                      due=f"2026-12-{10 + n}", offset_days=n))
                for n, template in enumerate(["duty_reminder"] * 4 + ["duty_overdue"])]
        for n in range(5):
            queue(plain_user, "duty_reminder", reminder(n, world.other_unit.id, "Unit U2"))
        notice = queue(digest_user, "transition_notice", {**NOTICE, "trigger": "tpi_return",
                                                          "reason": "Bukti belum lengkap"})

        early = dispatch_once(delivery)  # 06:00 WIB: before DIGEST_HOUR
        assert early.digests == 0
        assert len(smtp.to("other_coordinator@uji.go.id")) == 5  # one by one
        [returned] = smtp.to("coordinator@uji.go.id")  # transition notices are never held
        assert "Alasan          : Bukti belum lengkap" in returned.part("plain")
        assert _row(notice).status == "sent"
        assert {_row(i).status for i in held} == {"pending"}

        traveller.move_to(_jakarta(1, 7, 5))
        report = dispatch_once(delivery)
        assert (report.digests, report.sent) == (1, 1)
        assert dispatch_once(delivery).digests == 0  # once a day

        late = queue(digest_user, "duty_reminder", reminder(9, world.unit.id, "Unit U1"))
        traveller.move_to(_jakarta(1, 20))
        assert dispatch_once(delivery).digests == 0  # waits for tomorrow's digest
        traveller.move_to(_jakarta(2, 7))
        assert dispatch_once(delivery).digests == 1

    mails = smtp.to("coordinator@uji.go.id")
    assert len(mails) == 3
    digest = mails[1]
    assert digest.subject == "[ZI] Ringkasan harian 1 Desember 2026: 5 pemberitahuan kewajiban"
    text = digest.part("plain")
    for n in range(4):
        assert f"Jatuh tempo {10 + n} Desember 2026 (WIB)" in text
    assert "[Terlambat]" in text and text.count("[Pengingat]") == 4
    assert "http://zi.test/tugas/3" in text
    assert "Ringkasan harian 2 Desember 2026: 1 pemberitahuan" in mails[2].subject
    rows = [_row(i) for i in held]
    digest_id = rows[0].digest_sent_in
    assert digest_id is not None and {r.digest_sent_in for r in rows} == {digest_id}
    assert {r.status for r in rows} == {"sent"}
    assert {r.sent_at for r in rows} == {_row(digest_id).sent_at}
    assert _attempts(digest_id) == [("sent", 250)]
    assert all(_attempts(i) == [] for i in held)  # the digest's attempt is theirs
    assert _row(late).digest_sent_in not in (None, digest_id)
