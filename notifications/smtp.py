"""Talking to the SMTP server: one connection reused for a whole batch, and what its answers mean.

STACK.md (Outbox and SMTP): 4xx, timeouts and refused or dropped connections are temporary;
5xx, including a refused recipient, is permanent. A failure to connect, say hello, start TLS
or log in is the server's or the configuration's problem, never the message's: temporary.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from notifications.settings import DeliverySettings

log = logging.getLogger(__name__)

SENT = "sent"
TEMPORARY = "temporary"
PERMANENT = "permanent"


@dataclass(frozen=True)
class SendResult:
    outcome: str
    code: int | None
    detail: str


def classify(code: int | None) -> str:
    """5xx is permanent; 4xx, and anything that is not an SMTP reply, is worth retrying."""
    return PERMANENT if code is not None and 500 <= code < 600 else TEMPORARY


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class SmtpSender:
    """Sends messages over one lazily opened connection; after a drop it reconnects once per
    message, and after a failed connect it fails the rest of the run without retrying."""

    def __init__(self, settings: DeliverySettings) -> None:
        self.settings = settings
        self.sender = settings.sender_address  # parsed once, not twice per message
        self._conn: smtplib.SMTP | None = None
        self._unreachable: SendResult | None = None
        self.connections = 0

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        conn = (smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                 context=ssl.create_default_context()) if s.smtp_ssl
                else smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout))
        try:
            conn.ehlo()
            if s.smtp_starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.smtp_user:
                conn.login(s.smtp_user, s.smtp_password)
        except BaseException:
            conn.close()
            raise
        self.connections += 1
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()

    def send(self, message: EmailMessage | bytes, recipient: str) -> SendResult:
        if self._unreachable is not None:
            return self._unreachable
        if self._conn is None:
            try:
                self._conn = self._open()
            except smtplib.SMTPResponseException as err:
                self._unreachable = SendResult(TEMPORARY, err.smtp_code,
                                               f"connect: {_text(err.smtp_error)}")
                return self._unreachable
            except (smtplib.SMTPException, OSError) as err:
                self._unreachable = SendResult(TEMPORARY, None,
                                               f"connect: {type(err).__name__}: {err}")
                return self._unreachable
        try:
            if isinstance(message, bytes):  # built as it goes on the wire
                self._conn.sendmail(self.sender, [recipient], message)
            else:
                self._conn.send_message(message, from_addr=self.sender,
                                        to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as err:
            code, reply = err.recipients.get(recipient, (None, b"recipient refused"))
            return SendResult(classify(code), code, _text(reply))
        except smtplib.SMTPResponseException as err:
            if err.smtp_code == 421:  # the server is closing the connection
                self._drop()
            return SendResult(classify(err.smtp_code), err.smtp_code, _text(err.smtp_error))
        except (smtplib.SMTPException, OSError) as err:
            # dropped connection, timeout, or a server lacking an extension we need
            self._drop()
            return SendResult(TEMPORARY, None, f"{type(err).__name__}: {err}")
        return SendResult(SENT, 250, "accepted")
