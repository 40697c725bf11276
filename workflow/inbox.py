"""What needs a person, by role (the pages' Beranda), scoped like the API's lists.

Each list is one query whatever the number of rows (never a query per row), and bounded
(``LIMIT``): coordinator, their units' cases, questions flagged for revision on their
worksheets and duties coming due; inspectorate, their instansi's cases waiting for the TPI
and submitted duties waiting acknowledgement; TPN, this year's proposals waiting national
review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select

from workflow.clock import jakarta_date, utcnow
from workflow.db import db
from workflow.lke.answers import REVIEWERS
from workflow.machine import actors, triggers_from
from workflow.models import Answer, Case, Duty, Instansi, Unit, User, user_unit

LIMIT = 50
DUE_WITHIN_DAYS = 30
OPEN_DUTY = ("open", "overdue")
CLOSED_CASE = ("dicabut", "ditarik")


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    unit_id: int
    unit_name: str
    instansi_name: str
    target: str
    year: int
    state: str
    #: the triggers the person's role could fire from this state (what they do next)
    next_triggers: tuple[str, ...]


@dataclass(frozen=True)
class FlaggedRow:
    case_id: int
    unit_name: str
    kind: str
    questions: int


@dataclass(frozen=True)
class DutyRow:
    duty_id: int
    kind: str
    unit_id: int
    unit_name: str
    period: str
    due_date: date
    state: str


def _own_units(actor: User) -> Select[int]:
    return select(user_unit.c.unit_id).where(user_unit.c.user_id == actor.id)


def _case_rows(actor: User, query: Select[Case, str, str]) -> list[CaseRow]:
    rows = db.session.execute(
        query.join(Unit, Unit.id == Case.unit_id).join(Instansi, Instansi.id == Unit.instansi_id)
        .order_by(Case.year.desc(), Unit.name, Case.id).limit(LIMIT)).all()
    return [CaseRow(case.id, case.unit_id, unit_name, instansi_name, case.target, case.year,
                    case.state,
                    tuple(spec.trigger for spec in triggers_from(case.state)
                          if actor.role in actors(spec, case.regulation, case.target)))
            for case, unit_name, instansi_name in rows]


def _cases() -> Select[Case, str, str]:
    return select(Case, Unit.name, Instansi.name)


def _duty_rows(query: Select[Duty, str]) -> list[DutyRow]:
    rows = db.session.execute(
        query.join(Unit, Unit.id == Duty.unit_id).order_by(Duty.due_date, Duty.id).limit(LIMIT)
    ).all()
    return [DutyRow(duty.id, duty.kind, duty.unit_id, unit_name, duty.period, duty.due_date,
                    duty.state) for duty, unit_name in rows]


def coordinator_cases(actor: User) -> list[CaseRow]:
    """The cases of the units the coordinator coordinates, still under way."""
    return _case_rows(actor, _cases().where(Case.unit_id.in_(_own_units(actor)),
                                            Case.state.not_in(CLOSED_CASE)))


def flagged_questions(actor: User) -> list[FlaggedRow]:
    """Per case of the coordinator's units, how many questions a reviewer (TPI or TPN)
    flagged for revision."""
    rows = db.session.execute(
        select(Case.id, Unit.name, Answer.kind, func.count(Answer.id))
        .join(Case, Case.id == Answer.case_id).join(Unit, Unit.id == Case.unit_id)
        .where(Case.unit_id.in_(_own_units(actor)), Answer.kind.in_(REVIEWERS),
               Answer.needs_revision.is_(True), Case.state.not_in(CLOSED_CASE))
        .group_by(Case.id, Unit.name, Answer.kind).order_by(Case.id, Answer.kind).limit(LIMIT)
    ).all()
    return [FlaggedRow(case_id, unit_name, kind, count)
            for case_id, unit_name, kind, count in rows]


def duties_coming_due(actor: User, now: datetime | None = None,
                      within_days: int = DUE_WITHIN_DAYS) -> list[DutyRow]:
    """Open or overdue duties of the coordinator's units due within ``within_days``
    (overdue ones first: they are due earliest)."""
    horizon = jakarta_date(now or utcnow()) + timedelta(days=within_days)
    return _duty_rows(select(Duty, Unit.name).where(
        Duty.unit_id.in_(_own_units(actor)), Duty.state.in_(OPEN_DUTY),
        Duty.due_date <= horizon))


def waiting_for_tpi(actor: User) -> list[CaseRow]:
    """The inspectorate's instansi's cases in pengusulan (the TPI's review)."""
    return _case_rows(actor, _cases().where(Unit.instansi_id == actor.instansi_id,
                                            Case.state == "pengusulan"))


def duties_to_acknowledge(actor: User) -> list[DutyRow]:
    """Submitted duties of the inspectorate's instansi waiting acknowledgement."""
    return _duty_rows(select(Duty, Unit.name).where(
        Unit.instansi_id == actor.instansi_id, Duty.state == "submitted"))


def waiting_for_tpn(actor: User, now: datetime | None = None) -> list[CaseRow]:
    """This year's proposals (Jakarta's calendar) in reviu_tpn."""
    year = jakarta_date(now or utcnow()).year
    return _case_rows(actor, _cases().where(Case.state == "reviu_tpn", Case.year == year))
