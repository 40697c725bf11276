"""E-mail delivery: the service's dispatcher against a raw smtplib loop, same messages.

Both sides send to one local SMTP server (aiosmtpd's ``Sink``, in its own process so it does
not share this one's interpreter lock) on 127.0.0.1 and a free port:
- the service: ``notifications.dispatcher.dispatch_once``, what ``zi dispatcher --once``
  runs, over ``size.emails`` pending outbox rows (transition notices and duty reminders, in
  both languages): claim in batches, render, build the MIME message, send, record each attempt;
- the baseline: the same messages, rendered and built beforehand (the very bytes the
  dispatcher sends), sent by ``smtplib`` over one connection. It runs before and after the
  service; their mean is the baseline rate.
"""

from __future__ import annotations

import dataclasses
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import func, insert, select

from bench.harness import Result, Size, migrated_app
from bench.population import CREATED

NOW = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)
RECIPIENTS = 200
CONTEXTS: dict[str, dict[str, Any]] = {
    "transition_notice": {"case_id": 5, "unit_name": "Unit Pelayanan Terpadu",
                          "target": "WBK", "trigger": "submit_to_tpi",
                          "from_state": "pembangunan", "to_state": "pengusulan",
                          "occurred_at": "2026-12-19T03:00:00+00:00"},
    "duty_reminder": {"duty_id": 7, "kind": "year_end_report", "unit_id": 1,
                      "unit_name": "Unit Pelayanan Terpadu", "due_date": "2026-12-31",
                      "offset_days": 14, "link": "/api/v1/duties/7"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd discarding what it accepts; returns once it answers on ``port``."""
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c",
                               "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as probe:
                probe.noop()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"aiosmtpd did not start on port {port}")


def _queue(count: int) -> None:
    """``count`` pending outbox rows over ``RECIPIENTS`` users, alternating kind and language."""
    from workflow.db import db
    from workflow.models import OutboxMessage, User

    db.session.execute(insert(User), [
        {"id": i, "email": f"penerima{i}@bench.go.id", "name": f"Penerima {i}",
         "role": "coordinator", "instansi_id": None, "language": "id" if i % 2 else "en",
         "daily_digest": False, "active": True, "created_at": CREATED}
        for i in range(1, RECIPIENTS + 1)])
    templates = sorted(CONTEXTS)
    rows = []
    for n in range(count):
        user = 1 + n % RECIPIENTS
        template = templates[n % len(templates)]
        rows.append({"idempotency_key": f"bench:{n}", "recipient_user_id": user,
                     "recipient_email": f"penerima{user}@bench.go.id",
                     "language": "id" if user % 2 else "en", "template": template,
                     "context": {**CONTEXTS[template], "case_id": n, "duty_id": n},
                     "status": "pending", "attempts": 0, "next_attempt_at": CREATED,
                     "created_at": CREATED})
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()


def _rendered(settings: Any) -> list[tuple[EmailMessage | bytes, str]]:
    """Every row as the dispatcher builds it (same Message-ID), for the raw loop."""
    from notifications.render import build_email, make_message_id, render
    from workflow.db import db
    from workflow.models import OutboxMessage

    rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
    messages = [(build_email(rendered=render(row.template, row.language, row.context,
                                             settings),
                             recipient=row.recipient_email, message_id=make_message_id(
                                 row.id, row.idempotency_key, settings.mail_domain),
                             language=row.language, template=row.template, settings=settings,
                             now=NOW), row.recipient_email) for row in rows]
    db.session.rollback()
    return messages


def raw_loop(port: int, sender: str, messages: list[tuple[EmailMessage | bytes, str]]
             ) -> float:
    """Seconds to send ``messages`` over one connection with plain smtplib."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
        conn.ehlo()
        for message, recipient in messages:
            if isinstance(message, bytes):  # as the dispatcher sends it
                conn.sendmail(sender, [recipient], message)
            else:
                conn.send_message(message, from_addr=sender, to_addrs=[recipient])
    return time.perf_counter() - started


def run(url: str, size: Size) -> list[Result]:
    from notifications.dispatcher import dispatch_once
    from notifications.settings import DeliverySettings
    from workflow.db import db
    from workflow.models import OutboxMessage

    port = _free_port()
    server = _start_server(port)
    try:
        app = migrated_app(url)
        with app.app_context():
            _queue(size.emails)
            settings = dataclasses.replace(
                DeliverySettings.from_config(app.config), smtp_host="127.0.0.1",
                smtp_port=port, smtp_timeout=30, mail_from="ZI Workflow <noreply@bench.go.id>")
            messages = _rendered(settings)
            before = raw_loop(port, settings.sender_address, messages)
            started = time.perf_counter()
            report = dispatch_once(settings, clock=lambda: NOW)
            service_seconds = time.perf_counter() - started
            sent = db.session.execute(select(func.count(OutboxMessage.id))
                                      .where(OutboxMessage.status == "sent")).scalar_one()
            db.session.rollback()
            if report.sent != size.emails or sent != size.emails:
                raise RuntimeError(f"dispatcher sent {report.sent} of {size.emails}: {report}")
            db.engine.dispose()
        raw_seconds = [before, raw_loop(port, settings.sender_address, messages)]
    finally:
        server.terminate()
        server.wait(10)
    service_rate = size.emails / service_seconds
    raw_rate = size.emails / (sum(raw_seconds) / len(raw_seconds))
    return [Result("email_rate_vs_smtplib", service_rate / raw_rate, 0.5, "higher",
                   f"dispatcher {service_rate:.0f}/s, smtplib {raw_rate:.0f}/s, "
                   f"{size.emails} messages")]
