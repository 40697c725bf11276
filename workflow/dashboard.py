"""An instansi at a glance for its inspectorate: cases per state and target, duties open and
overdue per kind, the next deadlines.

A fixed number of queries (one GROUP BY per figure), whatever the number of units.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from workflow.clock import jakarta_date, utcnow
from workflow.db import db
from workflow.duty_calendar import KINDS
from workflow.errors import Forbidden, NotFound
from workflow.models import Case, Duty, Instansi, Unit, User
from workflow.permissions import require_role

NEXT_DEADLINES = 10


def instansi_dashboard(actor: User, instansi_id: int, now: datetime | None = None
                       ) -> dict[str, Any]:
    require_role(actor, ("inspectorate", "admin"))
    instansi = db.session.get(Instansi, instansi_id)
    if instansi is None:
        raise NotFound(f"Instansi {instansi_id} tidak ditemukan",
                       f"Instansi {instansi_id} not found")
    if actor.role == "inspectorate" and actor.instansi_id != instansi.id:
        raise Forbidden("Instansi di luar cakupan Anda", "The instansi is outside your scope",
                        code="out_of_scope")
    in_instansi = Unit.instansi_id == instansi.id
    units = db.session.execute(select(func.count(Unit.id)).where(in_instansi)).scalar_one()
    cases = db.session.execute(
        select(Case.state, Case.target, func.count(Case.id))
        .join(Unit, Unit.id == Case.unit_id).where(in_instansi)
        .group_by(Case.state, Case.target).order_by(Case.state, Case.target)).all()
    per_kind = {kind: {"kind": kind, "open": 0, "overdue": 0} for kind in KINDS}
    for kind, state, count in db.session.execute(
            select(Duty.kind, Duty.state, func.count(Duty.id))
            .join(Unit, Unit.id == Duty.unit_id)
            .where(in_instansi, Duty.state.in_(("open", "overdue")))
            .group_by(Duty.kind, Duty.state)):
        per_kind[kind][state] = count
    upcoming = db.session.execute(
        select(Duty, Unit.name).join(Unit, Unit.id == Duty.unit_id)
        .where(in_instansi, Duty.state == "open")
        .order_by(Duty.due_date, Duty.id).limit(NEXT_DEADLINES)).all()
    return {
        "instansi_id": instansi.id,
        "instansi_name": instansi.name,
        "today": jakarta_date(now or utcnow()),
        "units": units,
        "cases": [{"state": state, "target": target, "count": count}
                  for state, target, count in cases],
        "duties": list(per_kind.values()),
        "next_deadlines": [
            {"duty_id": duty.id, "kind": duty.kind, "unit_id": duty.unit_id,
             "unit_name": unit_name, "period": duty.period, "due_date": duty.due_date,
             "state": duty.state}
            for duty, unit_name in upcoming],
    }


#: Where a case waits on, or was decided by, the national review: a proposal of its year.
NATIONAL_STATES = ("reviu_tpn", "penetapan")
PROPOSAL_FIELDS = ("case_id", "state", "target", "regulation", "designated_at", "unit_id",
                   "unit_code", "unit_name", "instansi_id", "instansi_name")


def national_overview(actor: User, now: datetime | None = None) -> dict[str, Any]:
    """Every instansi with its units and cases per state, and this fiscal year's proposals
    (cases of the Jakarta calendar year in the national review states), for TPN and admins.

    Three statements whatever the number of instansi, units or cases: the instansi with
    their unit counts, one GROUP BY of the cases per instansi and state, and the proposals
    (by the index on the case state).
    """
    require_role(actor, ("tpn", "admin"))
    year = jakarta_date(now or utcnow()).year
    instansi = db.session.execute(
        select(Instansi.id, Instansi.name, Instansi.kind, func.count(Unit.id))
        .outerjoin(Unit, Unit.instansi_id == Instansi.id)
        .group_by(Instansi.id, Instansi.name, Instansi.kind)
        .order_by(Instansi.name, Instansi.id)).all()
    per_state: dict[int, dict[str, int]] = {}
    for instansi_id, state, count in db.session.execute(
            select(Unit.instansi_id, Case.state, func.count(Case.id))
            .join(Unit, Unit.id == Case.unit_id)
            .group_by(Unit.instansi_id, Case.state)):
        per_state.setdefault(instansi_id, {})[state] = count
    proposals = db.session.execute(
        select(Case.id, Case.state, Case.target, Case.regulation, Case.designated_at,
               Unit.id, Unit.code, Unit.name, Instansi.id, Instansi.name)
        .join(Unit, Unit.id == Case.unit_id).join(Instansi, Instansi.id == Unit.instansi_id)
        .where(Case.state.in_(NATIONAL_STATES), Case.year == year)
        .order_by(Instansi.name, Unit.code, Case.id)).all()
    return {
        "year": year,
        "instansi": [{"id": id_, "name": name, "kind": kind, "units": units,
                      "cases": per_state.get(id_, {}),
                      "total": sum(per_state.get(id_, {}).values())}
                     for id_, name, kind, units in instansi],
        "proposals": [dict(zip(PROPOSAL_FIELDS, row, strict=True)) for row in proposals],
    }
