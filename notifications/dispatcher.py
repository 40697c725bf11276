"""The outbox dispatcher: claim what is due, send it once, record every attempt.

STACK.md (Outbox and SMTP): a batch is claimed with ``FOR UPDATE SKIP LOCKED`` and a lease,
and the claim is committed before any SMTP conversation, so no lock is held while sending.
A row whose lease ran out (a crashed dispatcher) is due again. Every outcome is committed on
its own, only while this run still holds the row's lease: several dispatchers in parallel
send each message once.

Exactly once, as far as SMTP allows (issue 9): an attempt is committed as ``started`` before
the SMTP conversation and completed after it. A dispatcher killed in between leaves it
``started``; the next claim marks it ``unknown`` (delivered or not, nobody knows) and sends
again with the same Message-ID (receivers can drop the duplicate). A second ``unknown``
attempt holds the message as ``uncertain`` for an operator (``zi outbox show|retry``): at
most one duplicate, and every one of them recorded. Temporary failures are retried with
backoff until a time budget (``OUTBOX_RETRY_HOURS``, from the first claim) runs out, so an
SMTP outage of hours fails nothing for good.

On SQLite, which has no row locks, the claim's ``UPDATE`` repeats the "due" condition, so a
row another dispatcher took meanwhile is left out.

Duty notices (``duty_*``) to a user who chose the daily digest are *held*: once per Jakarta
day, at or after ``DIGEST_HOUR``, they are bundled into one ``daily_digest`` message and
marked sent when that message is. Transition notices are never held.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, select, update
from sqlalchemy.exc import IntegrityError

from notifications.render import build_email, make_message_id, render
from notifications.settings import DIGEST_TEMPLATE, FAILURE_TEMPLATE, DeliverySettings
from notifications.smtp import PERMANENT, SENT, TEMPORARY, SendResult, SmtpSender
from workflow.clock import JAKARTA, as_utc, utcnow
from workflow.db import db
from workflow.models import OutboxAttempt, OutboxMessage, User
from workflow.notices import enqueue
from workflow.outage import OutageLog

log = logging.getLogger(__name__)

HELD_PREFIX = "duty_"
JITTER = 0.25  # a retry waits between 75 % and 100 % of its exponential delay
DETAIL_MAX = 2000
CLAIM_TRIES = 10  # a claim that lost every row to another dispatcher looks again
# attempt outcomes besides SMTP's sent / temporary / permanent
STARTED, UNKNOWN, REQUEUED = "started", "unknown", "requeued"
Clock = Callable[[], datetime]


@dataclass
class DispatchReport:
    """What one run did; the CLI prints it."""

    digests: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    uncertain: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        text = (f"digests {self.digests}, claimed {self.claimed}, sent {self.sent}, "
                f"retrying {self.retried}, failed {self.failed}, released {self.released}, "
                f"uncertain {self.uncertain}")
        if self.reasons:
            text += "; why: " + "; ".join(f"{count}x {reason}"
                                          for reason, count in self.reasons.most_common(3))
        return text


@dataclass(frozen=True)
class Claimed:
    """A claimed row, copied out of the session: the claim is committed before sending."""

    id: int
    idempotency_key: str
    recipient_email: str
    language: str
    template: str
    context: dict[str, Any]
    attempts: int
    rfc_message_id: str
    lease_until: datetime
    give_up_at: datetime


@dataclass
class _Run:
    settings: DeliverySettings
    clock: Clock
    rng: random.Random
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)


def _held(message: Any) -> ColumnElement[bool]:
    """A duty notice to a user who chose the daily digest waits for the digest."""
    return message.template.startswith(HELD_PREFIX, autoescape=True) & (
        select(User.id).where(User.id == message.recipient_user_id,
                              User.daily_digest.is_(True)).exists())


def _due(message: Any, now: datetime) -> ColumnElement[bool]:
    pending = (message.status == "pending") & (message.next_attempt_at <= now)
    lease_expired = (message.status == "sending") & (message.lease_until < now)
    return (pending | lease_expired) & ~_held(message)


def _rowcount(statement: Update) -> int:
    """Rows a conditional UPDATE changed: zero means another dispatcher's lease won."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def backoff(attempts: int, settings: DeliverySettings, rng: random.Random) -> timedelta:
    """Exponential from ``OUTBOX_BACKOFF_SECONDS``, capped, minus up to 25 % jitter so that
    messages failed together do not come back together."""
    ceiling = min(settings.backoff_cap_seconds,
                  settings.backoff_seconds * 2 ** min(max(attempts - 1, 0), 30))
    return timedelta(seconds=ceiling * (1 - JITTER * rng.random()))


def bundle_digests(settings: DeliverySettings, now: datetime) -> int:
    """Write today's digest for each digest user with held notices; returns how many.

    The digest's idempotency key names the user and the Jakarta day, so parallel
    dispatchers write it once; notices held after it wait for the next day's.
    """
    now = as_utc(now)
    local = now.astimezone(JAKARTA)
    if local.hour < settings.digest_hour:
        return 0
    day = local.date().isoformat()
    held_due = ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
                & _held(OutboxMessage))
    user_ids = db.session.execute(
        select(OutboxMessage.recipient_user_id).where(held_due).distinct()).scalars().all()
    db.session.rollback()
    made = 0
    for user_id in user_ids:
        key = f"{DIGEST_TEMPLATE}:user:{user_id}:{day}"
        if db.session.execute(select(OutboxMessage.id)
                              .where(OutboxMessage.idempotency_key == key)).first():
            db.session.rollback()
            continue
        user = db.session.get(User, user_id)
        if user is None:
            continue
        digest = OutboxMessage(idempotency_key=key, recipient_user_id=user.id,
                               recipient_email=user.email, language=user.language,
                               template=DIGEST_TEMPLATE, context={}, next_attempt_at=now,
                               created_at=now)
        db.session.add(digest)
        try:
            db.session.flush()
        except IntegrityError:  # another dispatcher wrote it first
            db.session.rollback()
            continue
        bundled = db.session.execute(
            update(OutboxMessage)
            .where(held_due, OutboxMessage.recipient_user_id == user_id)
            .values(status="digested", digest_sent_in=digest.id)
            .returning(OutboxMessage.id, OutboxMessage.template, OutboxMessage.context)
            .execution_options(synchronize_session=False)).all()
        if not bundled:
            db.session.rollback()
            continue
        items = sorted(bundled, key=lambda row: (str(row.context.get("due_date", "")), row.id))
        digest.context = {"digest_date": day, "items": [
            {"outbox_id": row.id, "template": row.template, "context": row.context}
            for row in items]}
        db.session.commit()
        made += 1
    return made


def _lease(run: _Run, now: datetime, lease_until: datetime) -> list[int] | None:
    """The ids leased to this run; None when nothing is due, empty when others won them."""
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT … SKIP LOCKED): PostgreSQL
    # may re-run such a subquery per row, and it then skips the rows it just updated.
    candidates = db.session.execute(
        select(OutboxMessage.id).where(_due(OutboxMessage, now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(run.settings.batch_size)
        .with_for_update(skip_locked=True)).scalars().all()
    if not candidates:
        return None
    # Still due: on SQLite, which ignores FOR UPDATE, another dispatcher may have won a row.
    return list(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), _due(OutboxMessage, now))
        .values(status="sending", lease_until=lease_until, lease_owner=run.owner)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)).scalars().all())


def claim(run: _Run) -> list[Claimed]:
    """Lease a batch of due rows to this run and commit; fixes each row's Message-ID."""
    for _ in range(CLAIM_TRIES):
        now = as_utc(run.clock())
        lease_until = now + timedelta(seconds=run.settings.lease_seconds)
        ids = _lease(run, now, lease_until)
        if ids is None:
            db.session.rollback()
            return []
        if ids:
            break
        db.session.rollback()
    else:
        return []
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)).scalars().all()
    unknown = _interrupted(ids)
    claimed = []
    for row in rows:
        if row.rfc_message_id is None:
            row.rfc_message_id = make_message_id(row.id, row.idempotency_key,
                                                 run.settings.mail_domain)
        if row.give_up_at is None:
            row.give_up_at = now + timedelta(hours=run.settings.retry_hours)
        message = Claimed(row.id, row.idempotency_key, row.recipient_email, row.language,
                          row.template, dict(row.context), row.attempts, row.rfc_message_id,
                          lease_until, as_utc(row.give_up_at))
        if unknown.get(row.id, 0) >= 2:
            detail = (f"{unknown[row.id]} attempts interrupted between sending and recording; "
                      "held so as not to send a third copy: check with the recipient, then "
                      "`zi outbox retry`")
            row.status, row.lease_until, row.lease_owner, row.last_error = (
                "uncertain", None, None, detail)
            _report_failure(message, SendResult(TEMPORARY, None, detail), row.attempts, now)
            continue
        claimed.append(message)
    db.session.commit()
    return claimed


def _interrupted(ids: list[int]) -> dict[int, int]:
    """Attempts left ``started`` by a dispatcher that died become ``unknown``; returns how
    many ``unknown`` attempts each message has had since an operator last re-queued it."""
    db.session.execute(
        update(OutboxAttempt)
        .where(OutboxAttempt.message_id.in_(ids), OutboxAttempt.outcome == STARTED)
        .values(outcome=UNKNOWN, detail="interrupted between sending and recording: "
                                        "delivered or not")
        .execution_options(synchronize_session=False))
    counts: dict[int, int] = {}
    for message_id, outcome in db.session.execute(
            select(OutboxAttempt.message_id, OutboxAttempt.outcome)
            .where(OutboxAttempt.message_id.in_(ids),
                   OutboxAttempt.outcome.in_((UNKNOWN, REQUEUED)))
            .order_by(OutboxAttempt.id)).all():
        # an operator's re-queue starts the count again
        counts[message_id] = counts.get(message_id, 0) + 1 if outcome == UNKNOWN else 0
    return counts


def begin_attempt(run: _Run, message: Claimed) -> int | None:
    """Commit a ``started`` attempt before any byte goes to SMTP; None when this run no
    longer holds the row (then it must not send)."""
    now = as_utc(run.clock())
    mine = ((OutboxMessage.id == message.id) & (OutboxMessage.status == "sending")
            & (OutboxMessage.lease_owner == run.owner))
    if not _rowcount(update(OutboxMessage).where(mine).values(lease_owner=run.owner)):
        db.session.rollback()
        return None
    attempt = OutboxAttempt(message_id=message.id, attempted_at=now, outcome=STARTED)
    db.session.add(attempt)
    db.session.commit()
    return attempt.id


def _report_failure(message: Claimed, result: SendResult, attempts: int, now: datetime) -> None:
    """Tell every active admin, once per failed message; a failed report is not reported."""
    if message.template == FAILURE_TEMPLATE:
        return
    key = f"{FAILURE_TEMPLATE}:outbox:{message.id}"
    admins = db.session.execute(
        select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
    ).scalars().all()
    told = set(db.session.execute(
        select(OutboxMessage.idempotency_key)
        .where(OutboxMessage.idempotency_key.startswith(f"{key}:", autoescape=True))
    ).scalars())
    enqueue([admin for admin in admins if f"{key}:user:{admin.id}" not in told],
            FAILURE_TEMPLATE, {
                "failed_message_id": message.id, "failed_template": message.template,
                "failed_recipient": message.recipient_email, "attempts": attempts,
                "smtp_code": result.code, "detail": result.detail,
                "failed_at": now.isoformat()}, key=key)


def record(run: _Run, message: Claimed, result: SendResult, attempt_id: int | None = None
           ) -> str:
    """Commit one attempt's outcome and its consequence; returns the row's new status, or
    ``lost`` when the lease was taken over meanwhile (the attempt is recorded all the same).
    ``attempt_id`` is the ``started`` attempt this completes (else a new one is written)."""
    now = as_utc(run.clock())
    detail = result.detail[:DETAIL_MAX]
    outcome = {"outcome": result.outcome, "smtp_code": result.code, "detail": detail}
    if attempt_id is None or not _rowcount(
            update(OutboxAttempt).where(OutboxAttempt.id == attempt_id).values(**outcome)):
        db.session.add(OutboxAttempt(message_id=message.id, attempted_at=now, **outcome))
    db.session.flush()  # write first: SQLite then holds the write lock for the whole step
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "lease_until": None, "lease_owner": None}
    delay = backoff(attempts, run.settings, run.rng)
    if result.outcome == SENT:
        status = "sent"
        values.update(sent_at=now, last_error=None)
    elif result.outcome == TEMPORARY and now + delay <= message.give_up_at:
        status = "pending"
        values.update(next_attempt_at=now + delay, last_error=detail)
    else:
        status = "failed"
        if result.outcome == TEMPORARY:
            hours = run.settings.retry_hours
            detail = f"gave up after {attempts} attempts over {hours:g} hours: {detail}"
        values.update(last_error=detail)
    mine = ((OutboxMessage.id == message.id) & (OutboxMessage.status == "sending")
            & (OutboxMessage.lease_owner == run.owner))
    updated = _rowcount(
        update(OutboxMessage).where(mine).values(status=status, **values))
    if updated and message.template == DIGEST_TEMPLATE and status != "pending":
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.digest_sent_in == message.id,
                   OutboxMessage.status == "digested")
            .values(status=status, sent_at=now if status == "sent" else None,
                    last_error=values["last_error"])
            .execution_options(synchronize_session=False))
    if updated and status == "failed":
        _report_failure(message, SendResult(result.outcome, result.code, detail), attempts, now)
    db.session.commit()
    return status if updated else "lost"


def _release(run: _Run, messages: list[Claimed]) -> int:
    """Give back rows this run will not send (stopping, or its lease running short)."""
    if not messages:
        return 0
    released = _rowcount(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]),
               OutboxMessage.status == "sending", OutboxMessage.lease_owner == run.owner)
        .values(status="pending", lease_until=None, lease_owner=None))
    db.session.commit()
    return released


def _attempt(run: _Run, sender: SmtpSender, message: Claimed) -> SendResult:
    settings = run.settings
    try:
        rendered = render(message.template, message.language, message.context, settings)
        email = build_email(rendered=rendered, recipient=message.recipient_email,
                            message_id=message.rfc_message_id, language=message.language,
                            template=message.template, settings=settings,
                            now=as_utc(run.clock()))
    except Exception as err:  # one unrenderable row must not stop the batch
        log.exception("outbox %s cannot be rendered", message.id)
        return SendResult(PERMANENT, None, f"render: {type(err).__name__}: {err}")
    return sender.send(email, message.recipient_email)


def dispatch_once(settings: DeliverySettings, *, clock: Clock = utcnow,
                  rng: random.Random | None = None,
                  should_stop: Callable[[], bool] = lambda: False,
                  max_batches: int = 1000) -> DispatchReport:
    """Bundle due digests, then claim and send batches until nothing is due."""
    run = _Run(settings, clock, rng or random.Random())
    report = DispatchReport(digests=bundle_digests(settings, clock()))
    margin = timedelta(seconds=settings.smtp_timeout)
    with SmtpSender(settings) as sender:
        for _ in range(max_batches):
            batch = [] if should_stop() else claim(run)
            if not batch:
                break
            report.claimed += len(batch)
            for index, message in enumerate(batch):
                if should_stop() or as_utc(clock()) + margin >= message.lease_until:
                    report.released += _release(run, batch[index:])
                    break
                attempt_id = begin_attempt(run, message)
                if attempt_id is None:
                    continue
                result = _attempt(run, sender, message)
                status = record(run, message, result, attempt_id)
                if status in ("pending", "failed"):
                    report.reasons[result.detail.splitlines()[0][:200] if result.detail
                                   else result.outcome] += 1
                if status == "sent":
                    report.sent += 1
                elif status == "pending":
                    report.retried += 1
                elif status == "failed":
                    report.failed += 1
    return report


def run_forever(settings: DeliverySettings, stop: threading.Event,
                on_report: Callable[[DispatchReport], None] | None = None) -> None:
    """Dispatch, then wait ``DISPATCHER_POLL_SECONDS``, until ``stop`` is set (SIGTERM).

    A stop lets the message being sent finish and gives the rest of the batch back. A failing
    run (the database down) is logged once per outage, not once per poll.
    """
    outage = OutageLog(log, "dispatcher")
    while not stop.is_set():
        try:
            report = dispatch_once(settings, should_stop=stop.is_set)
        except Exception as err:  # a database or network hiccup must not end the loop
            outage.failed(err, settings.poll_seconds)
            db.session.rollback()
        else:
            outage.succeeded()
            if on_report is not None and (report.claimed or report.digests):
                on_report(report)
        finally:
            db.session.remove()
        stop.wait(settings.poll_seconds)
