"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it accepts and can be told
to answer 4xx or 5xx, plus delivery settings pointing at it."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from notifications.settings import DeliverySettings
from workflow.db import db
from workflow.models import OutboxMessage, User


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class Mailbox:
    """The aiosmtpd handler: ``data_replies`` answer DATA in order (then 250),
    ``rcpt_replies`` refuse given recipients. ``tried`` keeps the Message-ID of every DATA
    the server saw, accepted or not. With ``gate`` set, no DATA is answered before that
    many connections have each sent one (or 20 s passed): senders are made to overlap."""

    data_replies: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: int = 0
    sessions: set[int] = field(default_factory=set)
    on_accept: Callable[[], None] | None = None  # runs after a message is received, before 250

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sessions.add(id(session))
        waited = 0.0
        while len(self.sessions) < self.gate and waited < 20:
            await asyncio.sleep(0.02)
            waited += 0.02
        self.gate = 0  # open once, for good
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.tried.append(str(message["Message-ID"]))
            reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
            if reply.startswith("250"):
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                              message))
        if reply.startswith("250") and self.on_accept is not None:
            self.on_accept()
        return reply

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(mailbox: tuple[Mailbox, int]) -> Mailbox:
    return mailbox[0]


@pytest.fixture
def delivery(app: Flask, mailbox: tuple[Mailbox, int]) -> DeliverySettings:
    """The app's settings, sending to the test server as noreply@zi.test."""
    return dataclasses.replace(DeliverySettings.from_config(app.config), smtp_host="127.0.0.1",
                               smtp_port=mailbox[1], smtp_timeout=5,
                               mail_from="ZI Workflow <noreply@zi.test>")


def queue(user_id: int, template: str, context: dict[str, Any], key: str | None = None,
          **fields: Any) -> int:
    """Commit one outbox row for a user, as the sweep or a transition would."""
    user = db.session.get(User, user_id)
    assert user is not None
    row = OutboxMessage(idempotency_key=key or f"test:{uuid.uuid4().hex}",
                        recipient_user_id=user.id, recipient_email=user.email,
                        language=user.language, template=template, context=context, **fields)
    db.session.add(row)
    db.session.commit()
    return row.id


def reminder(duty_id: int, unit_id: int, unit_name: str, due: str = "2026-12-31",
             offset_days: int | None = 30, kind: str = "year_end_report") -> dict[str, Any]:
    """A ``duty_reminder`` context as the sweep writes it."""
    context: dict[str, Any] = {"duty_id": duty_id, "kind": kind, "unit_id": unit_id,
                               "unit_name": unit_name, "due_date": due,
                               "link": f"/tugas/{duty_id}"}
    if offset_days is not None:
        context["offset_days"] = offset_days
    return context
