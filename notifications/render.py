"""From an outbox row to an e-mail: Jinja2 templates per language, plain text plus HTML.

Each template id has three files under ``templates/{id,en}/``: ``<name>.subject.txt``,
``<name>.txt`` and ``<name>.html`` (the only ones autoescaped). Missing optional context keys
render as nothing, so a notice written by an older or newer writer still reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from jinja2 import (
    ChainableUndefined,
    Environment,
    PackageLoader,
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
)
ENV.filters.update(date=_date, moment=_moment, trigger=_trigger, state=_state,
                   duty_kind=_duty_kind)


def _variables(template: str, context: dict[str, Any], language: str,
               settings: DeliverySettings) -> dict[str, Any]:
    variables = dict(context)
    path = context.get("link")
    if not path and template == "transition_notice" and context.get("case_id"):
        path = f"/api/v1/cases/{context['case_id']}"
    variables["link"] = settings.link(path)
    if template == DIGEST_TEMPLATE:
        variables["items"] = [
            {**item.get("context", {}), "template": item.get("template"),
             "link": settings.link(item.get("context", {}).get("link"))}
            for item in context.get("items", [])]
    variables["lang"] = language
    return variables


def render(template: str, language: str, context: dict[str, Any],
           settings: DeliverySettings) -> Rendered:
    """Subject, plain text and HTML of one message in ``language`` (Indonesian by default)."""
    lang = language if language in wording.LANGUAGES else "id"
    names = [f"{lang}/{template}.{part}" for part in ("subject.txt", "txt", "html")]
    if not re.fullmatch(r"[a-z][a-z0-9_]*", template):
        raise UnknownTemplate(template)
    try:
        subject_t, text_t, html_t = (ENV.get_template(name) for name in names)
    except TemplateNotFound as err:
        raise UnknownTemplate(template) from err
    variables = _variables(template, context, lang, settings)
    subject = " ".join(subject_t.render(variables).split())
    variables["subject"] = subject
    return Rendered(subject=subject, text=text_t.render(variables),
                    html=html_t.render(variables))


def make_message_id(row_id: int, idempotency_key: str, domain: str) -> str:
    """A Message-ID that names the outbox row: the same on every retry of that row."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<outbox-{row_id}.{digest}@{domain}>"


def build_email(*, rendered: Rendered, recipient: str, message_id: str, language: str,
                template: str, settings: DeliverySettings, now: datetime) -> EmailMessage:
    """A multipart/alternative message; ``Auto-Submitted`` keeps auto-replies from looping."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-ZI-Template"] = template
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = language  # after: add_alternative moves Content-* inside
    return message
