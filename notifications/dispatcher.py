"""The outbox dispatcher: claim what is due, send it once, record every attempt.

STACK.md (Outbox and SMTP): a batch is claimed with ``FOR UPDATE SKIP LOCKED`` and a lease,
and the claim is committed before any SMTP conversation, so no lock is held while sending.
A row whose lease ran out (a crashed dispatcher) is due again. Outcomes are committed a chunk
at a time (``CHUNK`` messages), each only while this run still holds the row's lease:
several dispatchers in parallel send each message once.

Exactly once, as far as SMTP allows (issue 9): an attempt is committed as ``started`` before
the SMTP conversation and completed after it (for a chunk at a time: one transaction before
its sends, one after, issue 11). A dispatcher killed in between leaves it
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

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    Update,
    bindparam,
    delete,
    insert,
    select,
    update,
)
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
# Messages started, sent and recorded together (one transaction before the sends, one after:
# issue 11). A dispatcher killed mid-chunk leaves the chunk's attempts ``started``: each of
# its messages goes out at most once more, as when one message was started at a time.
CHUNK = 20
# attempt outcomes besides SMTP's sent / temporary / permanent
STARTED, UNKNOWN, REQUEUED = "started", "unknown", "requeued"
Clock = Callable[[], datetime]
ATTEMPTS: Table = OutboxAttempt.__table__  # type: ignore[assignment]
COMPLETE_ATTEMPT = (update(ATTEMPTS).where(ATTEMPTS.c.id == bindparam("b_id"))
                    .values(outcome=bindparam("b_outcome"), smtp_code=bindparam("b_code"),
                            detail=bindparam("b_detail")))


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


def begin_attempts(run: _Run, messages: list[Claimed]) -> dict[int, int]:
    """Commit a ``started`` attempt for each message of a chunk before any byte goes to
    SMTP, in one transaction (issue 11): one ``UPDATE`` keeps the rows this run still holds
    (the others it must not send), one multi-row ``INSERT`` writes their attempts; returns
    message id -> attempt id of the rows it may send."""
    now = as_utc(run.clock())
    held = set(db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]),
               OutboxMessage.status == "sending", OutboxMessage.lease_owner == run.owner)
        .values(lease_owner=run.owner).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)).scalars())
    mine = [m.id for m in messages if m.id in held]
    if not mine:
        db.session.rollback()
        return {}
    started = db.session.execute(
        insert(ATTEMPTS).returning(ATTEMPTS.c.id, ATTEMPTS.c.message_id,
                                   sort_by_parameter_order=True),
        [{"message_id": message_id, "attempted_at": now, "outcome": STARTED}
         for message_id in mine]).all()
    db.session.commit()
    return {row.message_id: row.id for row in started}


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


def _outcome(run: _Run, message: Claimed, result: SendResult, now: datetime
             ) -> tuple[str, dict[str, Any], str]:
    """A send's consequence for its row: (status, the row's new values, the detail)."""
    detail = result.detail[:DETAIL_MAX]
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "lease_until": None, "lease_owner": None}
    delay = backoff(attempts, run.settings, run.rng)
    if result.outcome == SENT:
        values.update(sent_at=now, last_error=None)
        return "sent", values, detail
    if result.outcome == TEMPORARY and now + delay <= message.give_up_at:
        values.update(next_attempt_at=now + delay, last_error=detail)
        return "pending", values, detail
    if result.outcome == TEMPORARY:
        hours = run.settings.retry_hours
        detail = f"gave up after {attempts} attempts over {hours:g} hours: {detail}"
    values.update(last_error=detail)
    return "failed", values, detail


def record_all(run: _Run, sent: list[tuple[Claimed, SendResult, int]]) -> list[str]:
    """Commit a chunk's outcomes and their consequences in one transaction (issue 11): the
    attempts completed by one ``executemany``, the rows this run still holds read at once,
    and their new status written by one ``executemany`` per status. Returns each row's new
    status, or ``lost`` where the lease was taken over meanwhile (the attempt is recorded
    all the same)."""
    if not sent:
        return []
    now = as_utc(run.clock())
    db.session.execute(COMPLETE_ATTEMPT, [
        {"b_id": attempt_id, "b_outcome": result.outcome, "b_code": result.code,
         "b_detail": result.detail[:DETAIL_MAX]} for _, result, attempt_id in sent])
    # written first: SQLite then holds the write lock for the whole step
    still_mine = set(db.session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.id.in_([message.id for message, _, _ in sent]),
            OutboxMessage.status == "sending", OutboxMessage.lease_owner == run.owner)
        .with_for_update()).scalars())
    statuses: list[str] = []
    by_status: dict[str, list[dict[str, Any]]] = {}
    follow_up = []
    for message, result, _ in sent:
        status, values, detail = _outcome(run, message, result, now)
        if message.id not in still_mine:
            statuses.append("lost")
            continue
        statuses.append(status)
        by_status.setdefault(status, []).append(
            {"b_id": message.id, **{f"b_{key}": value for key, value in values.items()}})
        follow_up.append((message, result, status, values, detail))
    for status, rows in by_status.items():
        db.session.execute(_mark(status, tuple(key[2:] for key in rows[0] if key != "b_id"),
                                 run.owner), rows)
    for message, result, status, values, detail in follow_up:
        if message.template == DIGEST_TEMPLATE and status != "pending":
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.digest_sent_in == message.id,
                       OutboxMessage.status == "digested")
                .values(status=status, sent_at=now if status == "sent" else None,
                        last_error=values["last_error"])
                .execution_options(synchronize_session=False))
        if status == "failed":
            _report_failure(message, SendResult(result.outcome, result.code, detail),
                            message.attempts + 1, now)
    db.session.commit()
    return statuses


def _mark(status: str, columns: tuple[str, ...], owner: str) -> Update:
    """``UPDATE outbox_message SET status, <columns> WHERE id = … AND still this run's``,
    for an ``executemany`` over a chunk's rows of one status."""
    table: Table = OutboxMessage.__table__  # type: ignore[assignment]
    return (update(table)
            .where(table.c.id == bindparam("b_id"), table.c.status == "sending",
                   table.c.lease_owner == owner)
            .values(status=status, **{name: bindparam(f"b_{name}") for name in columns}))


def _release(run: _Run, messages: list[Claimed], unsent_attempts: list[int] | None = None
             ) -> int:
    """Give back rows this run will not send (stopping, or its lease running short), and
    drop the ``started`` attempts of the chunk's rows it did not send after all (nothing
    went to SMTP: they must not count as interrupted sends)."""
    if not messages:
        return 0
    if unsent_attempts:
        db.session.execute(
            delete(OutboxAttempt).where(OutboxAttempt.id.in_(unsent_attempts),
                                        OutboxAttempt.outcome == STARTED)
            .execution_options(synchronize_session=False))
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


def _send_chunk(run: _Run, sender: SmtpSender, batch: list[Claimed], first: int,
                report: DispatchReport, margin: timedelta,
                should_stop: Callable[[], bool]) -> bool:
    """Start, send and record ``batch[first:first + CHUNK]``; False once the rest of the
    batch was given back (stopping, or the lease running short)."""
    chunk = batch[first:first + CHUNK]

    def stopping(message: Claimed) -> bool:
        return should_stop() or as_utc(run.clock()) + margin >= message.lease_until

    if stopping(chunk[0]):
        report.released += _release(run, batch[first:])
        return False
    started = begin_attempts(run, chunk)
    sent: list[tuple[Claimed, SendResult, int]] = []
    stopped_at = None
    for index, message in enumerate(chunk):
        attempt_id = started.get(message.id)
        if attempt_id is None:
            continue
        if sent and stopping(message):
            stopped_at = index
            break
        sent.append((message, _attempt(run, sender, message), attempt_id))
    for (_message, result, _), status in zip(sent, record_all(run, sent), strict=True):
        if status in ("pending", "failed"):
            report.reasons[result.detail.splitlines()[0][:200] if result.detail
                           else result.outcome] += 1
        if status == "sent":
            report.sent += 1
        elif status == "pending":
            report.retried += 1
        elif status == "failed":
            report.failed += 1
    if stopped_at is None:
        return True
    unsent = chunk[stopped_at:]
    report.released += _release(
        run, unsent + batch[first + CHUNK:],
        [started[m.id] for m in unsent if m.id in started])
    return False


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
            for first in range(0, len(batch), CHUNK):
                if not _send_chunk(run, sender, batch, first, report, margin, should_stop):
                    break
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
