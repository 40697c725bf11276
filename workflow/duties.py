"""Use cases on duties: list them within one's scope, submit (coordinator), acknowledge and
waive (inspectorate). DOMAIN.md: Duties of a building unit; Roles in the system.

Each change is one transaction and a conditional ``UPDATE … WHERE state IN (…)``: of two
racing requests one wins and the other gets ``transition_not_available``, on SQLite and
PostgreSQL alike. Each change also appends a ``DutyEvent`` with what was handed in, on the
duty's own keyed hash chain (``workflow.audit``). The sweep (``workflow.sweep``) creates
duties and marks them overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from workflow.audit import append_duty_event
from workflow.clock import utcnow
from workflow.db import db
from workflow.directory import get_unit
from workflow.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.lke.evidence import check_file, clean_filename
from workflow.lke.storage import EvidenceStore
from workflow.models import Duty, DutyEvent, Unit, User, user_unit
from workflow.notices import audience, enqueue
from workflow.permissions import require_act, require_view

# action -> (states it leaves, state it reaches, roles that may do it)
ACTIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "submit": (("open", "overdue"), "submitted", ("coordinator",)),
    "acknowledge": (("submitted",), "acknowledged", ("inspectorate",)),
    "waive": (("open", "overdue"), "waived", ("inspectorate",)),
}


OPEN_STATES = ("open", "overdue")
ACTED_AT = {"submit": "submitted_at", "acknowledge": "acknowledged_at", "waive": "waived_at"}


def _load(duty_id: int) -> Duty:
    duty = db.session.get(Duty, duty_id)
    if duty is None:
        raise NotFound(f"Kewajiban {duty_id} tidak ditemukan", f"Duty {duty_id} not found")
    return duty


def get_duty(actor: User, duty_id: int) -> Duty:
    duty = _load(duty_id)
    require_view(actor, duty.unit)
    return duty


def list_duties(actor: User, unit_id: int | None = None, state: str | None = None,
                kind: str | None = None, year: int | None = None, page: int = 1,
                page_size: int = 100, open_first: bool = False, with_units: bool = False
                ) -> tuple[list[Duty], int]:
    """The duties the caller may see (coordinator: own units; inspectorate: own instansi;
    tpn, admin: all), soonest due first, and how many there are in all.

    ``open_first``: open and overdue duties before the others (the duties page);
    ``with_units``: each duty's unit read in the same statement (a list showing unit names).
    """
    query = select(Duty)
    if actor.role == "inspectorate":
        query = query.join(Unit, Unit.id == Duty.unit_id).where(
            Unit.instansi_id == actor.instansi_id)
    elif actor.role == "coordinator":
        query = query.where(Duty.unit_id.in_(
            select(user_unit.c.unit_id).where(user_unit.c.user_id == actor.id)))
    if unit_id is not None:
        get_unit(actor, unit_id)  # 404 or out_of_scope, like the units
        query = query.where(Duty.unit_id == unit_id)
    if state is not None:
        query = query.where(Duty.state == state)
    if kind is not None:
        query = query.where(Duty.kind == kind)
    if year is not None:
        query = query.where(Duty.due_date >= date(year, 1, 1), Duty.due_date < date(year + 1, 1, 1))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order: list[Any] = [Duty.due_date, Duty.id]
    if open_first:
        order.insert(0, case((Duty.state.in_(OPEN_STATES), 0), else_=1))
    if with_units:
        query = query.options(joinedload(Duty.unit))
    rows = db.session.execute(
        query.order_by(*order).limit(page_size).offset((page - 1) * page_size)
    ).scalars()
    return list(rows), int(total)


def duty_history(actor: User, duty_id: int) -> tuple[Duty, list[DutyEvent]]:
    """The duty and its events, oldest first (two statements whatever the history)."""
    duty = get_duty(actor, duty_id)
    events = db.session.execute(
        select(DutyEvent).where(DutyEvent.duty_id == duty.id).order_by(DutyEvent.seq)).scalars()
    return duty, list(events)


def _required_text(field: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field} wajib diisi", f"{field} is required",
                           errors={field: ["wajib diisi / required"]})
    return text


def _notify_submitted(actor: User, duty: Duty) -> None:
    """The instansi's inspectorate learns a report awaits them (same transaction)."""
    recipients = [user for user in audience(duty.unit, ("inspectorate",)) if user.id != actor.id]
    enqueue(recipients, "duty_submitted", {
        "duty_id": duty.id, "kind": duty.kind, "period": duty.period, "unit_id": duty.unit_id,
        "unit_name": duty.unit.name, "due_date": duty.due_date.isoformat(),
        "link": f"/tugas/{duty.id}"}, key=f"duty:{duty.id}:submitted")


def _change(actor: User, duty_id: int, action: str, values: dict[str, Any],
            then: Callable[[User, Duty], None] | None = None) -> Duty:
    """Move the duty if its state allows; ``then`` writes more in the same transaction."""
    sources, target, roles = ACTIONS[action]
    try:
        duty = _load(duty_id)
        require_act(actor, duty.unit, roles)
        result: Any = db.session.execute(
            update(Duty).where(Duty.id == duty.id, Duty.state.in_(sources))
            .values(state=target, **values).execution_options(synchronize_session=False))
        from_state = duty.state
        db.session.refresh(duty)  # the row is ours now: its state and chain head are current
        if result.rowcount != 1:
            raise Conflict(f"Tindakan {action} tidak tersedia pada status {duty.state}",
                           f"{action} is not available in state {duty.state}",
                           code="transition_not_available")
        append_duty_event(duty, actor, action, from_state,
                          {key: value for key, value in values.items()
                           if not key.endswith(("_by", "_at"))}, values[ACTED_AT[action]])
        if then is not None:
            then(actor, duty)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    db.session.refresh(duty)
    return duty


def submit(actor: User, duty_id: int, report: str, evidence: Sequence[str] = (),
           now: datetime | None = None) -> Duty:
    """The unit's coordinator hands in the report (open or overdue -> submitted); the
    inspectorate is told."""
    report = _required_text("report", report)
    items = [item.strip() for item in evidence if item.strip()]
    return _change(actor, duty_id, "submit", {
        "report": report, "evidence": items, "submitted_by": actor.id,
        "submitted_at": now or utcnow()}, then=_notify_submitted)


def acknowledge(actor: User, duty_id: int, note: str | None = None,
                now: datetime | None = None) -> Duty:
    """The instansi's inspectorate accepts a submitted report (submitted -> acknowledged)."""
    return _change(actor, duty_id, "acknowledge", {
        "acknowledge_note": (note or "").strip() or None, "acknowledged_by": actor.id,
        "acknowledged_at": now or utcnow()})


def waive(actor: User, duty_id: int, reason: str, now: datetime | None = None) -> Duty:
    """The instansi's inspectorate releases the unit from a duty, with a reason."""
    reason = _required_text("reason", reason)
    return _change(actor, duty_id, "waive", {
        "waive_reason": reason, "waived_by": actor.id, "waived_at": now or utcnow()})


def available_actions(actor: User, duty: Duty) -> list[str]:
    """What the actor may do to the duty now (its state, their role and scope)."""
    found = []
    for action, (sources, _target, roles) in ACTIONS.items():
        if duty.state not in sources:
            continue
        try:
            require_act(actor, duty.unit, roles)
        except Forbidden:
            continue
        found.append(action)
    return found


# --------------------------------------------------------------------------- evidence files

FILE_PREFIX = "file:"


def file_evidence(sha256: str, filename: str) -> str:
    """How a stored file is named among a duty's evidence (as PortalRB's content links)."""
    return f"{FILE_PREFIX}{sha256}:{filename}"


def parse_file_evidence(item: str) -> tuple[str, str] | None:
    """(sha256, filename) of a stored file's evidence item, None for a link."""
    if not item.startswith(FILE_PREFIX):
        return None
    sha256, _, filename = item[len(FILE_PREFIX):].partition(":")
    return (sha256, filename) if len(sha256) == 64 and filename else None


def store_duty_file(actor: User, duty_id: int, data: bytes, filename: str,
                    store: EvidenceStore, max_bytes: int) -> str:
    """Check and store a file the unit's coordinator hands in with a duty; the evidence item
    naming it (``submit`` records it). The bytes are addressed by hash: if the submission
    then fails, they are an orphan nothing points at."""
    duty = _load(duty_id)
    sources, _target, roles = ACTIONS["submit"]
    require_act(actor, duty.unit, roles)
    if duty.state not in sources:
        raise Conflict(f"Tindakan submit tidak tersedia pada status {duty.state}",
                       f"submit is not available in state {duty.state}",
                       code="transition_not_available")
    name = clean_filename(filename)
    check_file(data, name, max_bytes)
    return file_evidence(store.put(data), name)


def open_duty_file(actor: User, duty_id: int, sha256: str, store: EvidenceStore
                   ) -> tuple[BinaryIO, str]:
    """A file handed in with the duty, for whoever may see the duty: (bytes, file name)."""
    duty = get_duty(actor, duty_id)
    for item in duty.evidence or ():
        parsed = parse_file_evidence(item)
        if parsed is not None and parsed[0] == sha256:
            try:
                return store.open(sha256), parsed[1]
            except FileNotFoundError:
                break
    raise NotFound("Berkas tidak ditemukan", "File not found")
