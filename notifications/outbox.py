"""What an operator sees of delivery and may do about it (issue 9): messages by status, one
message with every attempt, and re-queueing a failed or uncertain message with a new budget."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update

from notifications.dispatcher import REQUEUED
from workflow.clock import utcnow
from workflow.db import db
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.models import OutboxAttempt, OutboxMessage

STATUSES = ("pending", "sending", "sent", "failed", "uncertain", "digested")
RETRYABLE = ("failed", "uncertain")
NEEDS_AN_OPERATOR = RETRYABLE


def list_messages(statuses: Sequence[str] = NEEDS_AN_OPERATOR, limit: int = 100
                  ) -> list[OutboxMessage]:
    """The newest messages in these states."""
    unknown = [status for status in statuses if status not in STATUSES]
    if unknown:
        raise InvalidInput("Status tidak dikenal", "Unknown status",
                           errors={"status": [f"one of {', '.join(STATUSES)}"]})
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.status.in_(list(statuses)))
        .order_by(OutboxMessage.id.desc()).limit(limit)).scalars())


def count_messages(statuses: Sequence[str] = NEEDS_AN_OPERATOR) -> int:
    """How many messages are in these states (by default: what needs an operator)."""
    return int(db.session.execute(
        select(func.count(OutboxMessage.id))
        .where(OutboxMessage.status.in_(list(statuses)))).scalar_one())


def get_message(message_id: int) -> tuple[OutboxMessage, list[OutboxAttempt]]:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"Pesan {message_id} tidak ditemukan", f"Message {message_id} not found")
    attempts = db.session.execute(select(OutboxAttempt).where(
        OutboxAttempt.message_id == message.id).order_by(OutboxAttempt.id)).scalars().all()
    return message, list(attempts)


def retry(message_id: int) -> OutboxMessage:
    """Re-queue a failed or uncertain message now, with a fresh retry budget. An uncertain
    one may then arrive twice: the operator decides that it did not arrive at all."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"Pesan {message_id} tidak ditemukan", f"Message {message_id} not found")
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status.in_(RETRYABLE))
        .values(status="pending", next_attempt_at=utcnow(), give_up_at=None,
                lease_until=None, lease_owner=None)
        .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        db.session.rollback()
        raise Conflict(f"Pesan berstatus {message.status} tidak dapat diulang",
                       f"A {message.status} message cannot be retried",
                       code="not_retryable")
    db.session.add(OutboxAttempt(message_id=message.id, attempted_at=utcnow(),
                                 outcome=REQUEUED, detail="re-queued by an operator"))
    db.session.commit()
    db.session.refresh(message)
    return message
