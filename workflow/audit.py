"""The append-only history of cases and duties, tamper-evident three ways (issue 9).

1. Each event's hash is an HMAC-SHA256 over its content and the previous event's hash, keyed
   with a secret kept outside the database (``AUDIT_KEY`` / ``AUDIT_KEY_FILE``): who can
   write to the database but not read the key cannot recompute a chain after an edit.
2. The owner row (case, duty) keeps its chain head (``audit_seq``, ``audit_hash``), moved in
   the same transaction as the event, so a deleted newest event or a deleted chain no longer
   matches it, and a case state that its last event does not reach is named.
3. On PostgreSQL, triggers refuse UPDATE and DELETE on the event tables (migration
   ``0005_trust``). An ``anchor`` (a keyed digest of every head, kept elsewhere) also catches
   a chain rewound together with its head.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, Update, bindparam, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from workflow.case_record import CaseRecord
from workflow.clock import as_utc
from workflow.db import db
from workflow.models import GENESIS, AuditEvent, Case, Duty, DutyEvent, User
from workflow.settings import current_audit_key

CASE_FIELDS = ("case_id", "seq", "action", "actor_id", "actor_email", "role", "from_state",
               "to_state", "reason", "score", "case_version", "prev_hash")
DUTY_FIELDS = ("duty_id", "seq", "action", "actor_id", "actor_email", "role", "from_state",
               "to_state", "detail", "prev_hash")


def keyed_hash(key: bytes, fields: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of the canonical JSON of ``fields``."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def event_content(event: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """What an event's hash covers: the ``names`` attributes of ``event`` (a row or an
    ORM object) and its time, in UTC."""
    fields = {name: getattr(event, name) for name in names}
    fields["occurred_at"] = as_utc(event.occurred_at).isoformat(timespec="microseconds")
    return fields


def event_hash(event: AuditEvent | DutyEvent, key: bytes | None = None) -> str:
    names = CASE_FIELDS if isinstance(event, AuditEvent) else DUTY_FIELDS
    return keyed_hash(key if key is not None else current_audit_key(), event_content(event, names))


def _seal(owner: Case | Duty, event: AuditEvent | DutyEvent) -> None:
    """Hash the event onto the owner's head and move the head, without touching the owner's
    optimistic version (a Core UPDATE; the ORM object is told the new committed values)."""
    event.seq, event.prev_hash = owner.audit_seq + 1, owner.audit_hash
    event.hash = event_hash(event)
    db.session.add(event)
    model = type(owner)
    db.session.execute(update(model).where(model.id == owner.id)
                       .values(audit_seq=event.seq, audit_hash=event.hash)
                       .execution_options(synchronize_session=False))
    set_committed_value(owner, "audit_seq", event.seq)
    set_committed_value(owner, "audit_hash", event.hash)


def append_event(case: Case, actor: User, action: str, from_state: str | None,
                 reason: str | None, occurred_at: datetime,
                 score: dict[str, Any] | None = None) -> AuditEvent:
    """Add the next event of the case (the caller holds the case's row lock).

    The flush first: the case's version check runs before its head moves, and the event
    records the version the write produced.
    """
    db.session.flush()
    event = AuditEvent(case_id=case.id, action=action, actor_id=actor.id,
                       actor_email=actor.email, role=actor.role, from_state=from_state,
                       to_state=case.state, reason=reason, score=score,
                       case_version=case.version, occurred_at=occurred_at)
    _seal(case, event)
    return event


EVENT_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
# What a transition writes of its event, in order: the hashed fields, the time, the hash.
EVENT_COLUMNS = (*CASE_FIELDS, "occurred_at", "hash")
_CASE_TABLE: Table = Case.__table__  # type: ignore[assignment]
_CASE_MAPPER = inspect(Case)


@lru_cache(maxsize=64)
def case_change(names: tuple[str, ...]) -> Update:
    """``UPDATE zi_case SET <names> WHERE id = … AND version = …``, built once per set of
    changed columns (a transition changes the same few every time)."""
    table = _CASE_TABLE
    return (update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_expected"))
            .values({name: bindparam(f"b_{name}") for name in names}))


def transition_event(case: CaseRecord, actor: User, action: str, from_state: str | None,
                     reason: str | None, occurred_at: datetime,
                     score: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A transition of the locked ``case`` record as rows to write: its audit event (every
    column of :data:`EVENT_COLUMNS`, hashed onto the chain head) and the case row's changes
    (the record's, the version bump, the new chain head), for one Core ``UPDATE … WHERE
    version =`` (issue 11: the ORM's unit of work cost more than the writes themselves)."""
    produced, seq = case.version + 1, case.audit_seq + 1
    event = {"case_id": case.id, "seq": seq, "action": action,
             "actor_id": actor.id, "actor_email": actor.email, "role": actor.role,
             "from_state": from_state, "to_state": case.state, "reason": reason,
             "score": score, "case_version": produced, "prev_hash": case.audit_hash}
    hashed = {**event, "occurred_at": as_utc(occurred_at).isoformat(timespec="microseconds")}
    digest = keyed_hash(current_audit_key(), hashed)
    event.update(occurred_at=occurred_at, hash=digest)
    return event, {**case.changes(), "version": produced, "audit_seq": seq,
                   "audit_hash": digest}


def moved(case: CaseRecord, values: Mapping[str, Any]) -> None:
    """After the case row was written with ``values``: the record holds what was written,
    and an ORM copy of the case the session holds is expired (it would be stale)."""
    case.version, case.audit_seq, case.audit_hash = (
        values["version"], values["audit_seq"], values["audit_hash"])
    held = db.session.identity_map.get(_CASE_MAPPER.identity_key_from_primary_key((case.id,)))
    if held is not None:
        db.session.expire(held)


def append_duty_event(duty: Duty, actor: User, action: str, from_state: str,
                      detail: dict[str, Any] | None, occurred_at: datetime) -> DutyEvent:
    """Add the next event of the duty (the caller holds the duty's row)."""
    event = DutyEvent(duty_id=duty.id, action=action, actor_id=actor.id,
                      actor_email=actor.email, role=actor.role, from_state=from_state,
                      to_state=duty.state, detail=detail, occurred_at=occurred_at)
    _seal(duty, event)
    return event


@dataclass(frozen=True)
class BrokenLink:
    """One break: in which chain (``case`` or ``duty``) of which owner, of what kind, and
    the first event concerned (``None`` when the events themselves are gone)."""

    chain: str
    owner_id: int
    kind: str
    problem: str
    event_id: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class _Chain:
    name: str
    model: type[AuditEvent] | type[DutyEvent]
    owner: type[Case] | type[Duty]
    owner_column: str


CHAINS = (_Chain("case", AuditEvent, Case, "case_id"), _Chain("duty", DutyEvent, Duty, "duty_id"))


def heads() -> dict[str, tuple[int, str]]:
    """``case:7`` -> (sequence, hash) of every chain head."""
    found: dict[str, tuple[int, str]] = {}
    for chain in CHAINS:
        for owner_id, seq, head in db.session.execute(
                select(chain.owner.id, chain.owner.audit_seq, chain.owner.audit_hash)
                .order_by(chain.owner.id)):
            found[f"{chain.name}:{owner_id}"] = (seq, head)
    return found


def anchor_digest(key: bytes, chain_heads: Mapping[str, tuple[int, str]]) -> str:
    return keyed_hash(key, {name: [seq, head] for name, (seq, head) in chain_heads.items()})


def make_anchor(key: bytes | None = None) -> dict[str, Any]:
    """Every chain head and their keyed digest: to keep where the database's administrator
    cannot reach, and compare later (``verify_anchor``)."""
    key = key if key is not None else current_audit_key()
    chain_heads = heads()
    return {"heads": {name: [seq, head] for name, (seq, head) in chain_heads.items()},
            "digest": anchor_digest(key, chain_heads)}


def verify_anchor(anchor: Mapping[str, Any], key: bytes | None = None) -> list[BrokenLink]:
    """Each chain of the anchor must still contain the event that was its head then."""
    key = key if key is not None else current_audit_key()
    try:
        recorded = {name: (int(value[0]), str(value[1]))
                    for name, value in anchor["heads"].items()}
        digest = str(anchor["digest"])
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return [BrokenLink("anchor", 0, "anchor_invalid", "the anchor file is not an anchor")]
    if not hmac.compare_digest(anchor_digest(key, recorded), digest):
        return [BrokenLink("anchor", 0, "anchor_invalid",
                           "the anchor's digest does not match it (edited, or another key)")]
    broken = []
    for name, (seq, head) in recorded.items():
        chain_name, _, owner = name.partition(":")
        chain = next((c for c in CHAINS if c.name == chain_name), None)
        if chain is None or seq == 0:
            continue
        found = db.session.execute(
            select(chain.model.id, chain.model.hash)
            .where(getattr(chain.model, chain.owner_column) == int(owner),
                   chain.model.seq == seq)).first()
        if found is None or found.hash != head:
            broken.append(BrokenLink(
                chain.name, int(owner), "rewound",
                f"the anchored head (seq {seq}) is gone or changed", None, seq))
    return broken


def _events(chain: _Chain) -> Iterator[list[Any]]:
    """The events of each owner, one owner at a time, streamed."""
    owner_column = getattr(chain.model, chain.owner_column)
    current: list[Any] = []
    for event in db.session.execute(
            select(chain.model).order_by(owner_column, chain.model.seq)
            .execution_options(yield_per=1000)).scalars():
        if current and getattr(current[0], chain.owner_column) != getattr(
                event, chain.owner_column):
            yield current
            current = []
        current.append(event)
    if current:
        yield current


def _check_events(chain: _Chain, owner_id: int, events: Iterable[Any], key: bytes
                  ) -> tuple[BrokenLink | None, Any]:
    """The first broken link of one chain, and its last event."""
    prev_hash, expected, last = GENESIS, 1, None
    names = CASE_FIELDS if chain.model is AuditEvent else DUTY_FIELDS
    for event in events:
        kind = None
        if event.seq != expected:
            kind, problem = "missing_event", f"sequence {event.seq}, expected {expected}"
        elif event.prev_hash != prev_hash:
            kind, problem = "relinked", "prev_hash does not match the previous event"
        elif not hmac.compare_digest(keyed_hash(key, event_content(event, names)), event.hash):
            kind, problem = "edited", "hash does not match the event's content (or the key)"
        if kind:
            return BrokenLink(chain.name, owner_id, kind, problem, event.id, event.seq), event
        prev_hash, expected, last = event.hash, expected + 1, event
    return None, last


def verify_chains(key: bytes | None = None) -> list[BrokenLink]:
    """Recompute every chain; return the first break of each broken case or duty."""
    key = key if key is not None else current_audit_key()
    broken: list[BrokenLink] = []
    for chain in CHAINS:
        owners = {row.id: row for row in db.session.execute(
            select(chain.owner.id, chain.owner.audit_seq, chain.owner.audit_hash,
                   *([Case.state] if chain.owner is Case else [])))}
        seen: set[int] = set()
        for events in _events(chain):
            owner_id = getattr(events[0], chain.owner_column)
            seen.add(owner_id)
            link, last = _check_events(chain, owner_id, events, key)
            if link is not None:
                broken.append(link)
                continue
            owner = owners.get(owner_id)
            if owner is None:
                continue
            if (owner.audit_seq, owner.audit_hash) != (last.seq, last.hash):
                broken.append(BrokenLink(
                    chain.name, owner_id, "head_mismatch",
                    f"the head says seq {owner.audit_seq}, the newest event is seq {last.seq}"
                    " (events deleted after it, or the head edited)", last.id, last.seq))
            elif chain.owner is Case and owner.state != last.to_state:
                broken.append(BrokenLink(
                    chain.name, owner_id, "state_unexplained",
                    f"the case is in {owner.state}, its last event leaves it in "
                    f"{last.to_state}", last.id, last.seq))
        for owner_id, owner in owners.items():
            if owner_id in seen:
                continue
            if chain.owner is Case or owner.audit_seq:
                broken.append(BrokenLink(
                    chain.name, owner_id, "chain_missing",
                    f"no event left; the head says seq {owner.audit_seq}"))
    return broken
