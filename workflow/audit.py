"""The append-only history of a case, chained by hashes so that an edited row is detected.

Each event stores the SHA-256 of the previous event of the same case; ``verify_chains``
recomputes every chain and names the first event that no longer matches.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.clock import as_utc
from workflow.db import db
from workflow.models import AuditEvent, Case, User

GENESIS = "0" * 64


def event_hash(event: AuditEvent) -> str:
    fields = {
        "case_id": event.case_id,
        "seq": event.seq,
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "role": event.role,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "score": event.score,
        "case_version": event.case_version,
        "occurred_at": as_utc(event.occurred_at).isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append_event(case: Case, actor: User, action: str, from_state: str | None,
                 reason: str | None, occurred_at: datetime,
                 score: dict[str, Any] | None = None) -> AuditEvent:
    """Add the next event of the case to the session (the caller holds the case's row lock)."""
    last = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.case_id == case.id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    event = AuditEvent(
        case_id=case.id,
        seq=(last.seq + 1) if last else 1,
        action=action,
        actor_id=actor.id,
        actor_email=actor.email,
        role=actor.role,
        from_state=from_state,
        to_state=case.state,
        reason=reason,
        score=score,
        case_version=case.version,
        occurred_at=occurred_at,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event_hash(event)
    db.session.add(event)
    return event


@dataclass(frozen=True)
class BrokenLink:
    case_id: int
    event_id: int
    seq: int
    problem: str


def verify_chains() -> list[BrokenLink]:
    """Recompute every chain; return the first broken event of each broken case."""
    broken: list[BrokenLink] = []
    case_id, prev_hash, expected_seq, skip = None, GENESIS, 1, False
    rows = db.session.execute(
        select(AuditEvent).order_by(AuditEvent.case_id, AuditEvent.seq)
        .execution_options(yield_per=1000)
    ).scalars()
    for event in rows:
        if event.case_id != case_id:
            case_id, prev_hash, expected_seq, skip = event.case_id, GENESIS, 1, False
        if skip:
            continue
        problem = None
        if event.seq != expected_seq:
            problem = f"sequence {event.seq}, expected {expected_seq}"
        elif event.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous event"
        elif event_hash(event) != event.hash:
            problem = "hash does not match the event's content"
        if problem:
            broken.append(BrokenLink(event.case_id, event.id, event.seq, problem))
            skip = True
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return broken
