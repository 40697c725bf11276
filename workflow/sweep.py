"""The sweep: one idempotent pass that brings the duties and their e-mails in line with ``now``.

DOMAIN.md: Duties of a building unit. One transaction, a fixed number of set-based
statements whatever the number of units (``INSERT … SELECT … WHERE NOT EXISTS … ON CONFLICT
DO NOTHING`` and ``UPDATE … WHERE``), in this order:

1. create the duties the calendar (``workflow.duty_calendar``) says exist today;
2. close duties whose reason is gone: a closed case (dicabut, ditarik) waives its open
   duties; a case the TPI approved this year has met its proposal deadline; a case submitted
   again (or designated) after a return has answered its improvement plan, which is then
   neither overdue nor escalated; a unit with no open case left has no budget to allocate
   (its year-end report stays: the year was spent building or holding, and is reported);
3. mark open duties past their due date overdue;
4. queue outbox messages: the most recent passed reminder of each open duty to the unit's
   coordinators, an overdue notice to them, an escalation to the instansi's inspectorate.

Running it twice changes nothing the second time: duties are unique by (kind, subject,
period) and messages by ``idempotency_key``. Duties are created before the reasons are
checked, so one pass already leaves nothing for the next (a deadline met before its duty
existed is created and met in the same pass). A sweep finding nothing changed since the
last one of the same Jakarta day stops after two reads (``sweep_mark``, ``_inputs_query``).
``now`` is injected and every date is computed in Python (Jakarta dates), never with SQL
``now()``. On PostgreSQL the transaction first takes an advisory lock, so that of several
scheduler replicas one sweeps and the others skip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from workflow import duty_calendar as calendar
from workflow.clock import as_utc, jakarta_date
from workflow.db import db
from workflow.duty_calendar import CLOSED_STATES, HELD_STATE, PROPOSAL_STATES, DutyPolicy, Slot
from workflow.models import (
    AuditEvent,
    Case,
    Duty,
    OutboxMessage,
    Unit,
    User,
    UtcDateTime,
    sweep_mark,
    user_unit,
)
from workflow.portable_sql import build_json, jakarta_day, plus_days, plus_years, text_of
from workflow.settings import current_duty_policy

SWEEP_LOCK_KEY = 7_243_015_311  # pg_try_advisory_xact_lock key: "one sweep at a time"
# Bumped whenever what a sweep does changes: a mark written by other rules is not trusted.
RULES = "sweep rules 1"
# The tables a sweep reads but never writes; on PostgreSQL held in SHARE mode while it runs.
ADMIN_TABLES = ("unit", "app_user", "user_unit")
_HASH_STEP, _HASH_MOD, _SQUARE_MOD = 1_000_003, 2_147_483_647, 1_099_511_627_689
TEMPLATES = {"reminder": "duty_reminder", "overdue": "duty_overdue",
             "escalation": "duty_escalation"}
DUTY_COLUMNS = ["kind", "unit_id", "case_id", "subject", "period", "due_date", "state",
                "created_at"]
OUTBOX_COLUMNS = ["idempotency_key", "recipient_user_id", "recipient_email", "language",
                  "template", "context", "status", "attempts", "next_attempt_at", "created_at"]

# Built once: an alias is costly to build and can serve every statement.
_EXISTING_DUTY = aliased(Duty, name="existing_duty")
_SENT_MESSAGE = aliased(OutboxMessage, name="sent_message")


@dataclass
class SweepReport:
    """What one sweep did; ``skipped`` says why it did nothing (``locked``)."""

    now: datetime
    today: date
    created: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    overdue: int = 0
    queued: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    unchanged: bool = False  # nothing it reads changed since the last sweep of ``today``

    @property
    def created_total(self) -> int:
        return sum(self.created.values())

    @property
    def queued_total(self) -> int:
        return sum(self.queued.values())

    def __str__(self) -> str:
        head = f"sweep at {self.now.isoformat()} (Jakarta {self.today.isoformat()})"
        if self.skipped:
            return f"{head}: skipped: {self.skipped}"

        def detail(counts: dict[str, int]) -> str:
            shown = ", ".join(f"{key} {value}" for key, value in counts.items() if value)
            return f" ({shown})" if shown else ""

        return (f"{head}: created {self.created_total}{detail(self.created)}, "
                f"closed {self.closed}, overdue {self.overdue}, "
                f"queued {self.queued_total}{detail(self.queued)}"
                + ("; nothing changed since the last sweep today" if self.unchanged else ""))


def sweep(now: datetime) -> SweepReport:
    """Sweep at ``now`` (timezone-aware) in one transaction; see the module docstring."""
    now = as_utc(now)
    report = SweepReport(now=now, today=jakarta_date(now))
    sweeper = _Sweeper(now, report.today, current_duty_policy())
    try:
        if not sweeper.lock():
            db.session.rollback()
            report.skipped = "locked"
            return report
        if sweeper.unchanged():
            db.session.rollback()
            report.unchanged = True
            return report
        inputs = sweeper.freeze_inputs()
        report.created = sweeper.create_duties()
        report.closed = sweeper.close_lapsed()
        report.overdue = sweeper.mark_overdue()
        report.queued = sweeper.queue_messages()
        sweeper.mark(inputs)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def _row_hash(*columns: Any) -> Any:
    """A portable hash of integer columns (SQLite has no hash function): a polynomial
    modulo a prime, squared, so that summed over a table a moved or swapped row changes
    the sum (a linear mix would keep it when two rows swap a value)."""
    mixed: Any = cast(columns[0], BigInteger) % _HASH_MOD
    for column in columns[1:]:
        mixed = (mixed * _HASH_STEP + cast(func.coalesce(column, 0), BigInteger)) % _HASH_MOD
    return (mixed * mixed) % literal(_SQUARE_MOD, BigInteger)


def _inputs_query() -> Any:
    """One statement (one snapshot) fingerprinting everything a sweep decides from.

    - ``zi_case``: rows, the highest id, and the sums of ``version`` and ``audit_seq``. Every
      write of a case bumps its version and every audit event its chain head, so these only
      grow: any change to a case or its history (a return, an approval) moves them.
    - ``unit`` (instansi), ``app_user`` (coordinator or inspectorate, active, instansi) and
      ``user_unit``: rows and a sum of row hashes (``_row_hash``) of what the sweep uses;
    - ``duty``: the highest id. Only sweeps create duties; people only move them out of the
      states a sweep acts on (submit, acknowledge, waive), which never gives it more to do.
      The outbox only grows, so a message queued stays queued.
    """
    active = User.active.is_(True)
    relevance = case((and_(active, User.role == "coordinator"), 1),
                     (and_(active, User.role == "inspectorate"), 2), else_=0)
    zero = literal(0, BigInteger)

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(value), 0)

    return union_all(
        select(literal("case"), func.count(), func.coalesce(func.max(Case.id), 0),
               total(Case.version), total(Case.audit_seq)),
        select(literal("unit"), func.count(), total(_row_hash(Unit.id, Unit.instansi_id)),
               zero, zero),
        select(literal("user"), func.count(),
               total(_row_hash(User.id, relevance, User.instansi_id)), zero, zero),
        select(literal("user_unit"), func.count(),
               total(_row_hash(user_unit.c.user_id, user_unit.c.unit_id)), zero, zero),
        select(literal("duty"), func.coalesce(func.max(Duty.id), 0), zero, zero, zero))


def _encode(inputs: dict[str, tuple[int, ...]]) -> str:
    return ";".join(f"{tag}:{':'.join(map(str, values))}" for tag, values in sorted(inputs.items()))


def _absent(probe: Select[Any]) -> Any:
    """``NOT EXISTS (probe OFFSET 0)``: one unique-index probe per candidate row.

    ``OFFSET 0`` keeps PostgreSQL from turning the probe into an anti-join, whose plan depends
    on statistics: right after many rows were written (the first sweep, a bulk import) they
    are stale and the planner may rescan the whole index for every row. A probe per row costs
    the same whatever the statistics. The probe also keeps ``ON CONFLICT`` for real races:
    a conflicting row still draws a value from the id sequence, so it must stay rare.
    """
    return ~probe.offset(0).exists()


def _insert_ignoring_duplicates(table: Any, columns: list[str], query: Select[Any],
                                key: Any) -> int:
    """``INSERT … SELECT`` that skips rows whose unique key exists (a concurrent sweep's).

    The rows are sorted by ``key`` before the first is written: the sort reads every row,
    and so runs every ``_absent`` probe, before the table grows. Streamed instead, a probe
    that PostgreSQL planned as a scan of a table it knew empty (the first sweep, the outbox
    after a clean-up) rescans every row this statement wrote so far: quadratic in the rows.
    """
    query = query.order_by(key)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).from_select(columns, query)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).from_select(columns, query)
    else:
        raise NotImplementedError(f"the sweep supports SQLite and PostgreSQL, not {dialect}")
    result: Any = db.session.execute(
        statement.on_conflict_do_nothing().execution_options(preserve_rowcount=True))
    return int(result.rowcount or 0)


_LATER = aliased(AuditEvent, name="later_event")
SUPERSEDING = ("submit_to_tpi", "designate")  # what ends the reason for an improvement plan


def _superseded(case_id: Any, period: Any) -> Any:
    """The case was submitted again (or designated) after the return an improvement plan
    (period ``return:{seq}``) answers: the plan's reason is gone (issue 9)."""
    return_seq = cast(func.substr(period, len("return:") + 1), Integer)
    return exists().where(_LATER.case_id == case_id, _LATER.action.in_(SUPERSEDING),
                          _LATER.seq > return_seq)


class _Sweeper:
    """The statements of one sweep; every scalar (today, windows) is fixed at construction."""

    def __init__(self, now: datetime, today: date, policy: DutyPolicy) -> None:
        self.now, self.today, self.policy = now, today, policy
        self.rules = f"{RULES}; {policy!r}"

    def lock(self) -> bool:
        if db.session.get_bind().dialect.name != "postgresql":
            return True  # SQLite serialises writers; the unique keys do the rest
        # No JIT for this transaction: the probes' estimated cost (one per unit) crosses
        # jit_above_cost, and compiling took longer than running a sweep that finds nothing
        # to do (issue 11: ~110 of 410 ms per statement at 30 000 units).
        db.session.execute(text("SET LOCAL jit = off"))
        return bool(db.session.execute(
            select(func.pg_try_advisory_xact_lock(SWEEP_LOCK_KEY))).scalar())

    # 0. nothing to do? ---------------------------------------------------------------------

    def inputs(self) -> dict[str, tuple[int, ...]]:
        return {str(row[0]): tuple(int(value) for value in row[1:])
                for row in db.session.execute(_inputs_query()).all()}

    def unchanged(self) -> bool:
        """Whether the last completed sweep was of ``today``, under the same rules, and
        nothing it reads changed since (``_inputs_query``): it then left nothing to do.

        Its fingerprint was taken while the tables it reads were held (``freeze_inputs``)
        and only grows with what it wrote (its duties), so equal now means the same rows.
        """
        mark = db.session.execute(select(sweep_mark.c.day, sweep_mark.c.rules,
                                         sweep_mark.c.inputs)).first()
        if mark is None or (mark.day, mark.rules) != (self.today, self.rules):
            return False
        return bool(mark.inputs == _encode(self.inputs()))

    def freeze_inputs(self) -> dict[str, tuple[int, ...]]:
        """Take the old mark away and fingerprint the inputs, after holding what could
        change under the sweep unseen: on PostgreSQL the tables without a growing version
        (``ADMIN_TABLES``) in SHARE mode, so that no one writes them until the sweep commits
        (cases only ever move forward: a change after the fingerprint is seen next time);
        on SQLite the mark's DELETE takes the database's write lock first."""
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text(f"LOCK TABLE {', '.join(ADMIN_TABLES)} IN SHARE MODE"))
        db.session.execute(sweep_mark.delete())
        return self.inputs()

    def mark(self, inputs: dict[str, tuple[int, ...]]) -> None:
        """Record this sweep in its transaction: the fingerprint taken before it wrote,
        with the highest duty id after its own inserts (a later duty, from a sweep of
        another day or written by hand, means there is work again)."""
        last_duty = db.session.execute(select(func.coalesce(func.max(Duty.id), 0))).scalar()
        inputs = {**inputs, "duty": (int(last_duty or 0), 0, 0, 0)}
        db.session.execute(sweep_mark.insert().values(
            id=1, day=self.today, rules=self.rules, inputs=_encode(inputs), swept_at=self.now))

    # 2. duties whose reason is gone ---------------------------------------------------------

    def close_lapsed(self) -> int:
        closed_cases = select(Case.id).where(Case.state.in_(CLOSED_STATES))
        waived: Any = db.session.execute(
            update(Duty)
            .where(Duty.state.in_(("open", "overdue")), Duty.case_id.in_(closed_cases))
            .values(state="waived", waived_at=self.now,
                    waive_reason="Kasus ditutup (dicabut/ditarik) / the case was closed")
            .execution_options(synchronize_session=False))
        approved_this_year = select(AuditEvent.case_id).where(
            AuditEvent.action == "tpi_approve",
            AuditEvent.occurred_at >= calendar.jakarta_midnight(date(self.today.year, 1, 1)))
        met: Any = db.session.execute(
            update(Duty)
            .where(Duty.kind == "proposal_deadline", Duty.period == str(self.today.year),
                   Duty.state.in_(("open", "overdue", "submitted")),
                   Duty.case_id.in_(approved_this_year))
            .values(state="acknowledged", acknowledged_at=self.now,
                    acknowledge_note="Diusulkan (tpi_approve) / proposed (tpi_approve)")
            .execution_options(synchronize_session=False))
        planned: Any = db.session.execute(
            update(Duty)
            .where(Duty.kind == "improvement_plan",
                   Duty.state.in_(("open", "overdue", "submitted")),
                   _superseded(Duty.case_id, Duty.period))
            .values(state="acknowledged", acknowledged_at=self.now,
                    acknowledge_note="Kasus diajukan kembali atau ditetapkan / the case was "
                                     "submitted again or designated")
            .execution_options(synchronize_session=False))
        building_units = select(Case.unit_id).where(Case.state.not_in(CLOSED_STATES))
        unfunded: Any = db.session.execute(
            update(Duty)
            .where(Duty.kind == "budget_allocation", Duty.state.in_(("open", "overdue")),
                   Duty.unit_id.not_in(building_units))
            .values(state="waived", waived_at=self.now,
                    waive_reason="Unit tidak lagi membangun atau memegang predikat / the unit "
                                 "no longer builds or holds a predicate")
            .execution_options(synchronize_session=False))
        return sum(int(result.rowcount or 0) for result in (waived, met, planned, unfunded))

    # 1. duties the calendar says exist today ------------------------------------------------

    def create_duties(self) -> dict[str, int]:
        created = {kind: 0 for kind in calendar.KINDS}
        today, policy = self.today, self.policy
        created["year_end_report"] = self._unit_duty("year_end_report",
                                                     calendar.year_end_report(today))
        budget = calendar.budget_allocation(today, policy)
        if budget:
            created["budget_allocation"] = self._unit_duty("budget_allocation", budget)
        proposal = calendar.proposal_deadline(today, policy)
        if proposal:
            created["proposal_deadline"] = self._case_duty(
                "proposal_deadline", proposal.period, literal(proposal.due, Date),
                Case.state.in_(PROPOSAL_STATES))
        quarter = calendar.quarter(today)
        created["maintenance_check"] = self._case_duty(
            "maintenance_check", quarter.period, literal(quarter.end, Date),
            Case.state == HELD_STATE, Case.designated_at.is_not(None),
            Case.designated_at < calendar.jakarta_midnight(quarter.start))
        created["tpi_monitoring_report"] = self._monitoring_reports()
        created["improvement_plan"] = self._improvement_plans()
        return created

    def _constants(self, kind: str) -> tuple[Any, Any, Any]:
        return (literal(kind, String), literal("open", String), literal(self.now, UtcDateTime))

    def _not_yet(self, kind: str, subject: Any, period: Any) -> Any:
        existing = _EXISTING_DUTY
        return _absent(select(existing.id).where(
            existing.kind == kind, existing.subject == subject, existing.period == period))

    def _unit_duty(self, kind: str, slot: Slot) -> int:
        """A yearly duty of every unit with an open case or a held predicate."""
        kind_value, state, created_at = self._constants(kind)
        subject = text_of("unit:", Unit.id)
        active = exists().where(Case.unit_id == Unit.id, Case.state.not_in(CLOSED_STATES))
        query = select(kind_value, Unit.id, cast(null(), Integer), subject,
                       literal(slot.period, String), literal(slot.due, Date), state,
                       created_at).where(active, self._not_yet(kind, subject, slot.period))
        return _insert_ignoring_duplicates(Duty.__table__, DUTY_COLUMNS, query, subject)

    def _case_duty(self, kind: str, period: Any, due: Any, *conditions: Any,
                   source: Callable[[Select[Any]], Select[Any]] | None = None) -> int:
        kind_value, state, created_at = self._constants(kind)
        subject = text_of("case:", Case.id)
        period_value = literal(period, String) if isinstance(period, str) else period
        query = select(kind_value, Case.unit_id, Case.id, subject, period_value, due, state,
                       created_at)
        if source is not None:
            query = source(query)
        query = query.where(*conditions, self._not_yet(kind, subject, period_value))
        return _insert_ignoring_duplicates(Duty.__table__, DUTY_COLUMNS, query, subject)

    def _monitoring_reports(self) -> int:
        """90/2021: the current 2-yearly TPI monitoring cycle of each held predicate.

        Cycle n is due ``designation + n × every`` years; the current one is the first whose
        due date has not passed. It is one of two candidates per case, n0 = ⌈elapsed years /
        every⌉ (at least 1) or n0 + 1, so a two-row join finds it without a loop.
        """
        every = self.policy.monitoring_every_years
        designated = jakarta_day(Case.designated_at)
        elapsed = literal(self.today.year, Integer) - cast(extract("year", designated), Integer)
        first = case((elapsed <= 0, literal(1, Integer)),
                     else_=(elapsed + (every - 1)) // literal(every, Integer))
        candidates = union_all(select(literal_column("0").label("step")),
                               select(literal_column("1").label("step"))).subquery("candidate")
        cycle = first + candidates.c.step
        due = plus_years(designated, cycle * every)
        return self._case_duty(
            "tpi_monitoring_report", text_of("cycle:", cycle), due,
            Case.state == HELD_STATE, Case.designated_at.is_not(None),
            due >= self.today, or_(cycle == 1, plus_years(designated, (cycle - 1) * every)
                                   < self.today),
            source=lambda query: query.select_from(Case).join(candidates, true()))

    def _improvement_plans(self) -> int:
        """An improvement plan within N days of each tpi_return / tpn_return still running."""
        days = self.policy.improvement_plan_days
        since = calendar.jakarta_midnight(self.today - timedelta(days=days))
        return self._case_duty(
            "improvement_plan", text_of("return:", AuditEvent.seq),
            plus_days(jakarta_day(AuditEvent.occurred_at), literal(days, Integer)),
            AuditEvent.action.in_(calendar.RETURN_TRIGGERS), AuditEvent.occurred_at >= since,
            Case.state.not_in(CLOSED_STATES),
            ~_superseded(Case.id, text_of("return:", AuditEvent.seq)),
            source=lambda query: query.select_from(AuditEvent).join(
                Case, Case.id == AuditEvent.case_id))

    # 3. overdue ------------------------------------------------------------------------------

    def mark_overdue(self) -> int:
        result: Any = db.session.execute(
            update(Duty).where(Duty.state == "open", Duty.due_date < self.today)
            .values(state="overdue").execution_options(synchronize_session=False))
        return int(result.rowcount or 0)

    # 4. messages -----------------------------------------------------------------------------

    def queue_messages(self) -> dict[str, int]:
        queued = {template: 0 for template in TEMPLATES.values()}
        for window in calendar.reminder_windows(self.today, self.policy.reminder_offsets_days):
            queued["duty_reminder"] += self._queue(
                "reminder", window.offset, "coordinator", Duty.state == "open",
                Duty.due_date.between(window.first_due, window.last_due))
        queued["duty_overdue"] = self._queue("overdue", 0, "coordinator",
                                             Duty.state == "overdue")
        cutoff = calendar.escalation_cutoff(self.today, self.policy.escalation_after_days)
        queued["duty_escalation"] = self._queue(
            "escalation", self.policy.escalation_after_days, "inspectorate",
            Duty.state == "overdue", Duty.due_date < cutoff)
        return queued

    def _queue(self, occasion: str, offset_days: int, audience: str, *conditions: Any) -> int:
        """One message per (duty, recipient) matching ``conditions``, unless already queued.

        Key ``duty:{id}:reminder:{offset}:user:{uid}`` (``…:overdue:…``, ``…:escalation:…``).
        """
        part = f"{occasion}:{offset_days}" if occasion == "reminder" else occasion
        key = text_of("duty:", Duty.id, f":{part}:user:", User.id)
        context = build_json(
            duty_id=Duty.id, kind=Duty.kind, period=Duty.period, unit_id=Duty.unit_id,
            unit_name=Unit.name, due_date=Duty.due_date,
            offset_days=cast(literal(offset_days, Integer), Integer),
            link=text_of("/tugas/", Duty.id))
        query = (select(key, User.id, User.email, User.language,
                        literal(TEMPLATES[occasion], String), context,
                        literal("pending", String), literal(0, Integer),
                        literal(self.now, UtcDateTime), literal(self.now, UtcDateTime))
                 .select_from(Duty).join(Unit, Unit.id == Duty.unit_id))
        if audience == "coordinator":
            query = (query.join(user_unit, user_unit.c.unit_id == Duty.unit_id)
                     .join(User, and_(User.id == user_unit.c.user_id,
                                      User.role == "coordinator")))
        else:
            query = query.join(User, and_(User.instansi_id == Unit.instansi_id,
                                          User.role == "inspectorate"))
        query = query.where(User.active.is_(True), *conditions,
                            _absent(select(_SENT_MESSAGE.id)
                                    .where(_SENT_MESSAGE.idempotency_key == key)))
        return _insert_ignoring_duplicates(OutboxMessage.__table__, OUTBOX_COLUMNS, query, key)
