"""From an outbox row to an e-mail: Jinja2 templates per language, plain text plus HTML.

Each template id has three files under ``templates/{id,en}/``: ``<name>.subject.txt``,
``<name>.txt`` and ``<name>.html`` (the only ones autoescaped). Missing optional context keys
render as nothing, so a notice written by an older or newer writer still reads.

The dispatcher renders thousands of messages a run (issue 11): each template is compiled once
per process and kept (the files ship with the package, so nothing is reloaded), and the MIME
message is built with header classes made once rather than once per header.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.quoprimime import body_encode
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

from jinja2 import (
    ChainableUndefined,
    Environment,
    PackageLoader,
    Template,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from notifications import wording
from notifications.settings import DIGEST_TEMPLATE, DeliverySettings


class UnknownTemplate(LookupError):
    """No template of that id: a message that can never be rendered (a permanent failure)."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@pass_context
def _date(ctx: Context, value: Any) -> str:
    return wording.format_date(value or None, ctx.get("lang", "id"))


@pass_context
def _moment(ctx: Context, value: Any) -> str:
    return wording.format_moment(value or None, ctx.get("lang", "id"))


@pass_context
def _trigger(ctx: Context, value: Any, target: Any = None) -> str:
    return wording.trigger_phrase(str(value or ""), ctx.get("lang", "id"),
                                  str(target) if target else None)


@pass_context
def _state(ctx: Context, value: Any) -> str:
    return wording.state_name(str(value or ""), ctx.get("lang", "id"))


@pass_context
def _duty_kind(ctx: Context, value: Any) -> str:
    return wording.duty_kind(str(value or ""), ctx.get("lang", "id"))


ENV = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=ChainableUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,  # package data: no stat of every file at every message
)
ENV.filters.update(date=_date, moment=_moment, trigger=_trigger, state=_state,
                   duty_kind=_duty_kind)


def _variables(template: str, context: dict[str, Any], language: str,
               settings: DeliverySettings) -> dict[str, Any]:
    variables = dict(context)
    path = context.get("link")
    if not path and template == "transition_notice" and context.get("case_id"):
        path = f"/kasus/{context['case_id']}"
    variables["link"] = settings.link(path)
    if template == DIGEST_TEMPLATE:
        variables["items"] = [
            {**item.get("context", {}), "template": item.get("template"),
             "link": settings.link(item.get("context", {}).get("link"))}
            for item in context.get("items", [])]
    variables["lang"] = language
    return variables


@lru_cache(maxsize=256)
def _templates(template: str, lang: str) -> tuple[Template, Template, Template]:
    """The subject, text and HTML templates of one message kind in one language, compiled
    once per process (an unknown id raises and is not kept)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", template):
        raise UnknownTemplate(template)
    try:
        subject_t, text_t, html_t = (ENV.get_template(f"{lang}/{template}.{part}")
                                     for part in ("subject.txt", "txt", "html"))
    except TemplateNotFound as err:
        raise UnknownTemplate(template) from err
    return subject_t, text_t, html_t


def render(template: str, language: str, context: dict[str, Any],
           settings: DeliverySettings) -> Rendered:
    """Subject, plain text and HTML of one message in ``language`` (Indonesian by default)."""
    lang = language if language in wording.LANGUAGES else "id"
    subject_t, text_t, html_t = _templates(template, lang)
    variables = _variables(template, context, lang, settings)
    subject = " ".join(subject_t.render(variables).split())
    variables["subject"] = subject
    return Rendered(subject=subject, text=text_t.render(variables),
                    html=html_t.render(variables))


def make_message_id(row_id: int, idempotency_key: str, domain: str) -> str:
    """A Message-ID that names the outbox row: the same on every retry of that row."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<outbox-{row_id}.{digest}@{domain}>"


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, but each header class is made once, not per header
    set (``HeaderRegistry`` builds a new class with ``type()`` at every lookup)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


POLICY = default_policy.clone(header_factory=_HeaderClasses())


@lru_cache(maxsize=8)
def _from_header(mail_from: str) -> BaseHeader:
    """``MAIL_FROM`` parsed once: a header object is stored as it is."""
    return POLICY.header_factory("From", mail_from)


def build_email(*, rendered: Rendered, recipient: str, message_id: str, language: str,
                template: str, settings: DeliverySettings, now: datetime
                ) -> EmailMessage | bytes:
    """A multipart/alternative message; ``Auto-Submitted`` keeps auto-replies from looping.

    Written straight as bytes (CRLF, RFC 2047 subject, quoted-printable bodies): the
    ``email`` package's header objects and generator cost more than everything else a
    dispatcher does per message (issue 11). An address that is not ASCII (SMTPUTF8) takes
    the ``email`` package's way.
    """
    if recipient.isascii() and settings.mail_from.isascii():
        return _raw_email(rendered, recipient, message_id, language, template,
                          settings.mail_from, now)
    return _email_message(rendered=rendered, recipient=recipient, message_id=message_id,
                          language=language, template=template, settings=settings, now=now)


def _header(name: str, value: str) -> str:
    """``Name: value``, folded at spaces, RFC 2047-encoded when not ASCII."""
    value = " ".join(value.splitlines())
    if not value.isascii():
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{name}: {encoded}"
    line, lines = f"{name}:", []
    for word in value.split(" "):
        if len(line) + 1 + len(word) > 76 and line != f"{name}:":
            lines.append(line)
            line = f" {word}"  # the folding space is the one the words had between them
        else:
            line += f" {word}"
    return "\r\n".join([*lines, line])


def _part(subtype: str, body: str) -> str:
    text = body if body.endswith("\n") else body + "\n"
    if text.isascii() and max(map(len, text.splitlines()), default=0) <= 998:
        encoding, payload = "7bit", text.replace("\r\n", "\n").replace("\n", "\r\n")
    else:
        encoding = "quoted-printable"
        # quoprimime encodes characters as bytes: the UTF-8 bytes, one character each
        payload = body_encode(text.encode("utf-8").decode("latin-1"), maxlinelen=76,
                              eol="\r\n")
        if not payload.endswith("\r\n"):
            payload += "\r\n"
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n{payload}")


def _raw_email(rendered: Rendered, recipient: str, message_id: str, language: str,
               template: str, mail_from: str, now: datetime) -> bytes:
    boundary = f"==============={uuid.uuid4().hex}=="
    head = "\r\n".join((
        _header("Subject", rendered.subject), _from_line(mail_from), f"To: {recipient}",
        f"Date: {format_datetime(now)}", f"Message-ID: {message_id}",
        "Auto-Submitted: auto-generated", _header("X-ZI-Template", template),
        "MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"',
        _header("Content-Language", language)))
    return (f"{head}\r\n\r\n--{boundary}\r\n{_part('plain', rendered.text)}\r\n"
            f"--{boundary}\r\n{_part('html', rendered.html)}\r\n--{boundary}--\r\n"
            ).encode("ascii")


@lru_cache(maxsize=8)
def _from_line(mail_from: str) -> str:
    """``From:`` as the ``email`` package writes it, made once per ``MAIL_FROM``."""
    return str(_from_header(mail_from).fold(policy=POLICY)).rstrip("\r\n")


def _email_message(*, rendered: Rendered, recipient: str, message_id: str, language: str,
                   template: str, settings: DeliverySettings, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = rendered.subject
    message["From"] = _from_header(settings.mail_from)
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-ZI-Template"] = template
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = language  # after: add_alternative moves Content-* inside
    return message
