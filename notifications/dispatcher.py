"""The outbox dispatcher: claim what is due, send it once, record every attempt.

STACK.md (Outbox and SMTP): a batch is claimed with ``FOR UPDATE SKIP LOCKED`` and a lease,
and the claim is committed before any SMTP conversation, so no lock is held while sending.
A row whose lease ran out (a crashed dispatcher) is due again. Outcomes are committed a chunk
at a time (``CHUNK`` messages), each only while this run still holds the row's lease:
several dispatchers in parallel send each message once.

Exactly once, as far as SMTP allows (issue 9): an attempt is committed as ``started`` before
the SMTP conversation and completed after it (a chunk at a time, in a pipeline: a thread
sends one chunk while the previous one's outcomes and the next one's attempts are committed
together, issue 11). A dispatcher killed in between leaves it ``started``; the next claim
marks it ``unknown`` (delivered or not, nobody knows) and sends again with the same
Message-ID (receivers can drop the duplicate). A second ``unknown``
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
import queue
import random
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import lru_cache
from types import TracebackType
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Insert,
    Row,
    Select,
    String,
    Table,
    Update,
    bindparam,
    delete,
    func,
    insert,
    literal,
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
# Messages started, sent and recorded together (issue 11). At most two chunks are started and
# not yet recorded: a dispatcher killed then leaves their attempts ``started``, and each of
# those messages goes out at most once more, as when one message was started at a time.
CHUNK = 20
# attempt outcomes besides SMTP's sent / temporary / permanent
STARTED, UNKNOWN, REQUEUED = "started", "unknown", "requeued"
Clock = Callable[[], datetime]
ATTEMPTS: Table = OutboxAttempt.__table__  # type: ignore[assignment]
OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
COMPLETE_ATTEMPTS = (update(ATTEMPTS)
                     .where(ATTEMPTS.c.id.in_(bindparam("b_ids", expanding=True)))
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


def _due(message: Any, now: Any) -> ColumnElement[bool]:
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


def _claim_statements() -> tuple[Select[Any], Update, Update]:
    """The claim's statements, built once with bound parameters (issue 11): building the
    "due" condition and its subquery cost more than running it."""
    now = bindparam("b_now", type_=OUTBOX.c.next_attempt_at.type)
    candidates = (select(OUTBOX.c.id).where(_due(OUTBOX.c, now))
                  .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
                  .limit(bindparam("b_limit")).with_for_update(skip_locked=True))
    # Still due: on SQLite, which ignores FOR UPDATE, another dispatcher may have won a row.
    lease = (update(OUTBOX)
             .where(OUTBOX.c.id.in_(bindparam("b_ids", expanding=True)), _due(OUTBOX.c, now))
             .values(status="sending", lease_until=bindparam("b_lease_until"),
                     lease_owner=bindparam("b_owner"),
                     give_up_at=func.coalesce(OUTBOX.c.give_up_at, bindparam(
                         "b_give_up", type_=OUTBOX.c.give_up_at.type)))
             .returning(OUTBOX.c.id, OUTBOX.c.idempotency_key, OUTBOX.c.recipient_email,
                        OUTBOX.c.language, OUTBOX.c.template, OUTBOX.c.context,
                        OUTBOX.c.attempts, OUTBOX.c.rfc_message_id, OUTBOX.c.give_up_at))
    message_id = (update(OUTBOX).where(OUTBOX.c.id == bindparam("b_id"))
                  .values(rfc_message_id=bindparam("b_message_id")))
    return candidates, lease, message_id


CANDIDATES, LEASE, SET_MESSAGE_ID = _claim_statements()


def _lease(run: _Run, now: datetime, lease_until: datetime
           ) -> list[tuple[Row[Any], str]] | None:
    """The rows leased to this run, as the dispatcher needs them, by id, each with its
    Message-ID; None when nothing is due, empty when others won them. The lease's
    ``UPDATE`` also fixes a first claim's retry budget, and its Message-ID is written in
    the same transaction: no ORM object (issue 11)."""
    # Two statements, not UPDATE … WHERE id IN (SELECT … LIMIT … SKIP LOCKED): PostgreSQL
    # may re-run such a subquery per row, and it then skips the rows it just updated.
    candidates: list[int] = list(db.session.execute(CANDIDATES, {
        "b_now": now, "b_limit": run.settings.batch_size}).scalars())
    if not candidates:
        return None
    rows = sorted(db.session.execute(LEASE, {
        "b_ids": candidates, "b_now": now, "b_lease_until": lease_until,
        "b_owner": run.owner,
        "b_give_up": now + timedelta(hours=run.settings.retry_hours)}).all(),
                  key=lambda row: int(row.id))
    domain = run.settings.mail_domain
    fixed = {row.id: make_message_id(row.id, row.idempotency_key, domain)
             for row in rows if row.rfc_message_id is None}
    if fixed:
        db.session.execute(SET_MESSAGE_ID, [{"b_id": row_id, "b_message_id": message_id}
                                            for row_id, message_id in fixed.items()])
    return [(row, fixed.get(row.id, row.rfc_message_id)) for row in rows]


def claim(run: _Run) -> list[Claimed]:
    """Lease a batch of due rows to this run and commit; fixes each row's Message-ID."""
    for _ in range(CLAIM_TRIES):
        now = as_utc(run.clock())
        lease_until = now + timedelta(seconds=run.settings.lease_seconds)
        rows = _lease(run, now, lease_until)
        if rows is None:
            db.session.rollback()
            return []
        if rows:
            break
        db.session.rollback()
    else:
        return []
    unknown = _interrupted([row.id for row, _ in rows])
    claimed = []
    for row, message_id in rows:
        message = Claimed(row.id, row.idempotency_key, row.recipient_email, row.language,
                          row.template, dict(row.context), row.attempts, message_id,
                          lease_until, as_utc(row.give_up_at))
        if unknown.get(row.id, 0) >= 2:
            detail = (f"{unknown[row.id]} attempts interrupted between sending and recording; "
                      "held so as not to send a third copy: check with the recipient, then "
                      "`zi outbox retry`")
            db.session.execute(update(OUTBOX).where(OUTBOX.c.id == row.id).values(
                status="uncertain", lease_until=None, lease_owner=None, last_error=detail))
            _report_failure(message, SendResult(TEMPORARY, None, detail), row.attempts, now)
            continue
        claimed.append(message)
    db.session.commit()
    return claimed


INTERRUPTED = (update(ATTEMPTS)
               .where(ATTEMPTS.c.message_id.in_(bindparam("b_ids", expanding=True)),
                      ATTEMPTS.c.outcome == STARTED)
               .values(outcome=UNKNOWN, detail="interrupted between sending and recording: "
                                               "delivered or not")
               .returning(ATTEMPTS.c.message_id))
UNKNOWN_SO_FAR = (select(ATTEMPTS.c.message_id, ATTEMPTS.c.outcome)
                  .where(ATTEMPTS.c.message_id.in_(bindparam("b_ids", expanding=True)),
                         ATTEMPTS.c.outcome.in_((UNKNOWN, REQUEUED)))
                  .order_by(ATTEMPTS.c.id))


def _interrupted(ids: list[int]) -> dict[int, int]:
    """Attempts left ``started`` by a dispatcher that died become ``unknown``; returns how
    many ``unknown`` attempts each such message has had since an operator last re-queued
    it. Only those can have reached two: a claim holds a message at its second, so the
    others' history is not read (one statement per claim when nobody died)."""
    interrupted: list[int] = sorted(set(db.session.execute(INTERRUPTED, {"b_ids": ids}).scalars()))
    counts: dict[int, int] = {}
    if not interrupted:
        return counts
    for row in db.session.execute(UNKNOWN_SO_FAR, {"b_ids": interrupted}):
        # an operator's re-queue starts the count again
        counts[row.message_id] = (counts.get(row.message_id, 0) + 1
                                  if row.outcome == UNKNOWN else 0)
    return counts


def _begin_statement() -> Insert:
    """``INSERT INTO outbox_attempt … SELECT`` the chunk's rows this run still holds,
    ``RETURNING`` their attempt ids: one statement, built once."""
    return (insert(ATTEMPTS).from_select(
        ["message_id", "attempted_at", "outcome"],
        select(OUTBOX.c.id, bindparam("b_now", type_=ATTEMPTS.c.attempted_at.type),
               literal(STARTED, String))
        .where(OUTBOX.c.id.in_(bindparam("b_ids", expanding=True)),
               OUTBOX.c.status == "sending", OUTBOX.c.lease_owner == bindparam("b_owner"))
        .order_by(OUTBOX.c.id))
        .returning(ATTEMPTS.c.id, ATTEMPTS.c.message_id))


BEGIN = _begin_statement()


def begin_attempts(run: _Run, messages: list[Claimed]) -> dict[int, int]:
    """Write a ``started`` attempt for each message of a chunk that this run still holds
    (the others it must not send), in the caller's transaction, which commits it before
    any byte goes to SMTP; returns message id -> attempt id of the rows it may send."""
    return {row.message_id: row.id for row in db.session.execute(BEGIN, {
        "b_ids": [m.id for m in messages], "b_now": as_utc(run.clock()),
        "b_owner": run.owner})}


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
    """Write a chunk's outcomes and their consequences in the caller's transaction.

    Sends mostly end alike, so rows are written one ``UPDATE … WHERE id IN`` per set of
    equal values rather than one statement per row: a chunk that went well is one
    ``UPDATE`` of its attempts and one of its messages. The messages' ``UPDATE`` only
    touches rows this run still holds and returns them; the others are ``lost`` (the lease
    was taken over meanwhile; the attempt is recorded all the same). Returns each row's
    new status."""
    if not sent:
        return []
    now = as_utc(run.clock())
    completed: dict[tuple[str, int | None, str], list[int]] = {}
    for _, result, attempt_id in sent:
        completed.setdefault((result.outcome, result.code, result.detail[:DETAIL_MAX]),
                             []).append(attempt_id)
    for (outcome, code, detail), attempt_ids in completed.items():
        # written first: SQLite then holds the write lock for the whole step
        db.session.execute(COMPLETE_ATTEMPTS, {"b_ids": attempt_ids, "b_outcome": outcome,
                                               "b_code": code, "b_detail": detail})
    outcomes = [(message, result, *_outcome(run, message, result, now))
                for message, result, _ in sent]
    alike: dict[tuple[str, tuple[tuple[str, Any], ...]], list[int]] = {}
    for message, _, status, values, _ in outcomes:
        alike.setdefault((status, tuple(sorted(values.items()))), []).append(message.id)
    still_mine: set[int] = set()
    for (status, pairs), ids in alike.items():
        still_mine.update(db.session.execute(
            _mark(status, tuple(name for name, _ in pairs)),
            {"b_ids": ids, "b_owner": run.owner,
             **{f"b_{name}": value for name, value in pairs}}).scalars())
    statuses: list[str] = []
    for message, result, status, values, detail in outcomes:
        if message.id not in still_mine:
            statuses.append("lost")
            continue
        statuses.append(status)
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
    return statuses


@lru_cache(maxsize=64)
def _mark(status: str, columns: tuple[str, ...]) -> Update:
    """``UPDATE outbox_message SET status, <columns> WHERE id IN … AND still this run's
    RETURNING id``, built once per status and set of columns."""
    return (update(OUTBOX)
            .where(OUTBOX.c.id.in_(bindparam("b_ids", expanding=True)),
                   OUTBOX.c.status == "sending", OUTBOX.c.lease_owner == bindparam("b_owner"))
            .values(status=status, **{name: bindparam(f"b_{name}") for name in columns})
            .returning(OUTBOX.c.id))


def _release(run: _Run, messages: list[Claimed], unsent_attempts: list[int]) -> int:
    """Give back rows this run will not send (stopping, or its lease running short), and
    drop the ``started`` attempts of those it had started and did not send after all
    (nothing went to SMTP: they must not count as interrupted sends); the caller commits."""
    if unsent_attempts:
        db.session.execute(
            delete(OutboxAttempt).where(OutboxAttempt.id.in_(unsent_attempts),
                                        OutboxAttempt.outcome == STARTED)
            .execution_options(synchronize_session=False))
    if not messages:
        return 0
    return _rowcount(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]),
               OutboxMessage.status == "sending", OutboxMessage.lease_owner == run.owner)
        .values(status="pending", lease_until=None, lease_owner=None))


def _build(run: _Run, message: Claimed) -> EmailMessage | bytes | SendResult:
    """The message as it goes on the wire, or the permanent failure of one that cannot be
    rendered (one unrenderable row must not stop the batch)."""
    settings = run.settings
    try:
        rendered = render(message.template, message.language, message.context, settings)
        return build_email(rendered=rendered, recipient=message.recipient_email,
                           message_id=message.rfc_message_id, language=message.language,
                           template=message.template, settings=settings,
                           now=as_utc(run.clock()))
    except Exception as err:
        log.exception("outbox %s cannot be rendered", message.id)
        return SendResult(PERMANENT, None, f"render: {type(err).__name__}: {err}")


Item = tuple[Claimed, "EmailMessage | bytes | SendResult"]


class _Line:
    """A thread that holds the SMTP connection and sends the chunks handed to it, in order
    (issue 11): while it talks to the server, the dispatcher records the chunk before and
    starts the one after, so SMTP's round trips and the database's commits overlap instead
    of adding up. Only this thread touches the connection, only the caller the database.

    Before each message it asks ``stopping``; from the first yes it sends nothing more
    (``None`` for every message, this chunk's and those queued after it) until the caller,
    having given those back, calls ``resume``."""

    def __init__(self, sender: SmtpSender, stopping: Callable[[Claimed], bool]) -> None:
        self._sender = sender
        self._stopping = stopping
        self._jobs: queue.SimpleQueue[tuple[list[Item], Future[list[SendResult | None]]]
                                      | None] = queue.SimpleQueue()
        self._halted = threading.Event()
        self._thread = threading.Thread(target=self._work, name="zi-dispatcher-smtp",
                                        daemon=True)
        self._thread.start()

    def __enter__(self) -> _Line:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is not None:  # the caller failed: send nothing more it started
            self._halted.set()
        self._jobs.put(None)
        self._thread.join()

    def submit(self, items: list[Item]) -> Future[list[SendResult | None]]:
        future: Future[list[SendResult | None]] = Future()
        self._jobs.put((items, future))
        return future

    def resume(self) -> None:
        """Send again; only once every chunk handed over so far has been answered."""
        self._halted.clear()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            items, future = job
            try:
                future.set_result([self._send(message, email) for message, email in items])
            except BaseException as err:  # handed to the caller, who raises it
                self._halted.set()  # and sends nothing it queued after
                future.set_exception(err)

    def _send(self, message: Claimed, email: EmailMessage | bytes | SendResult
              ) -> SendResult | None:
        if self._halted.is_set() or self._stopping(message):
            self._halted.set()
            return None
        if isinstance(email, SendResult):  # could not be rendered
            return email
        return self._sender.send(email, message.recipient_email)


@dataclass
class _Flight:
    """A chunk started and handed to the line: its attempt ids and its sends' future."""

    items: list[tuple[Claimed, int]]
    results: Future[list[SendResult | None]]


def _submit(run: _Run, line: _Line, chunk: list[Claimed], started: dict[int, int]
            ) -> _Flight:
    """Build the messages whose ``started`` attempt is committed; hand them to the line."""
    mine = [(message, started[message.id]) for message in chunk if message.id in started]
    return _Flight(mine, line.submit([(message, _build(run, message))
                                      for message, _ in mine]))


def _record(run: _Run, flight: _Flight, report: DispatchReport) -> list[tuple[Claimed, int]]:
    """Wait for a chunk's sends and write their outcomes (the caller commits); returns the
    messages the line left unsent, with their ``started`` attempt, to be given back."""
    results = flight.results.result()
    sent = [(message, result, attempt_id) for (message, attempt_id), result
            in zip(flight.items, results, strict=True) if result is not None]
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
    return [item for item, result in zip(flight.items, results, strict=True)
            if result is None]


def _give_back(run: _Run, line: _Line, flights: deque[_Flight], unstarted: list[Claimed],
               unsent: list[tuple[Claimed, int]], report: DispatchReport) -> None:
    """Stopping, or a lease running short: record what the line sent, give back the rest
    (``unstarted``, and what it left unsent), commit, and let the line send again."""
    while flights:
        unsent += _record(run, flights.popleft(), report)
    report.released += _release(run, unstarted + [message for message, _ in unsent],
                                [attempt_id for _, attempt_id in unsent])
    db.session.commit()
    line.resume()


class _Feed:
    """The run's claimed messages, ``CHUNK`` at a time; the next batch is claimed (and
    committed) when the last one is used up, at most ``claims`` times."""

    def __init__(self, run: _Run, report: DispatchReport, should_stop: Callable[[], bool],
                 claims: int) -> None:
        self.run, self.report, self.should_stop, self.claims = run, report, should_stop, claims
        self.rest: list[Claimed] = []

    def next_chunk(self) -> list[Claimed]:
        if not self.rest and self.claims > 0 and not self.should_stop():
            self.claims -= 1
            self.rest = claim(self.run)
            self.report.claimed += len(self.rest)
        chunk, self.rest = self.rest[:CHUNK], self.rest[CHUNK:]
        return chunk

    def take_rest(self) -> list[Claimed]:
        rest, self.rest = self.rest, []
        return rest


def dispatch_once(settings: DeliverySettings, *, clock: Clock = utcnow,
                  rng: random.Random | None = None,
                  should_stop: Callable[[], bool] = lambda: False,
                  max_batches: int = 1000) -> DispatchReport:
    """Bundle due digests, then claim and send batches until nothing is due.

    Chunks go through a pipeline (issue 11): while the line sends chunk n+1, chunk n's
    outcomes and chunk n+2's ``started`` attempts are written and committed together (one
    transaction per chunk), then chunk n+2 is built and handed over. At most two chunks
    are thus started and not yet recorded: a dispatcher killed meanwhile leaves their
    attempts ``started``, each of those messages then going out at most once more, as
    before. A stop (or a lease running short) lets the message being sent finish and gives
    back every message not sent, dropping their ``started`` attempts.
    """
    run = _Run(settings, clock, rng or random.Random())
    report = DispatchReport(digests=bundle_digests(settings, clock()))
    margin = timedelta(seconds=settings.smtp_timeout)

    def stopping(message: Claimed) -> bool:
        return should_stop() or as_utc(run.clock()) + margin >= message.lease_until

    feed = _Feed(run, report, should_stop, max_batches)
    flights: deque[_Flight] = deque()
    with SmtpSender(settings) as sender, _Line(sender, stopping) as line:
        while True:
            chunk = feed.next_chunk()
            if chunk and stopping(chunk[0]):
                _give_back(run, line, flights, chunk + feed.take_rest(), [], report)
                continue
            if not chunk and not flights:
                break
            if flights and (len(flights) == 2 or not chunk):
                unsent = _record(run, flights.popleft(), report)
                if unsent:  # the line stopped: it sent nothing after these either
                    _give_back(run, line, flights, chunk + feed.take_rest(), unsent, report)
                    continue
            started = begin_attempts(run, chunk) if chunk else {}
            db.session.commit()  # the oldest chunk's outcomes, this one's attempts
            if started:
                flights.append(_submit(run, line, chunk, started))
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
