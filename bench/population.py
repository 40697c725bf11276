"""A national-scale population written with bulk inserts: instansi, units, their coordinators,
inspectorates, national reviewers, and cases ready for a lifecycle (declaration, proposal
and all three worksheets answered with their standing kept, as the service's writes leave
them, so every guard passes on the service's own rules).

The service's modules are imported where used: a baseline's worker process (raw psycopg)
imports its benchmark module, and so this one, without loading the app (~0.5 s of CPU per
process, a dozen processes per run)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text

if TYPE_CHECKING:
    from workflow.lke.worksheet import Question

REGULATION = "permenpanrb-90-2021"
CREATED = datetime(2025, 1, 2, tzinfo=UTC)
INSTANSI = 40
PROPOSAL = {"bpk_opinion": "WTP", "sakip_instansi": "A", "sakip_unit": "A", "indeks_rb": 80,
            "spip_level": 4, "tlhp_percent": 100, "lhkpn_percent": 100, "lhkasn_percent": 100}
DECLARATION = {"staff_total": 40, "pakta_signed": 40, "head_signed": True,
               "commitment_statement": "Kami berkomitmen.", "team": ["Ketua", "Anggota"]}


def _chunks(rows: list[dict[str, Any]], size: int = 5_000) -> list[list[dict[str, Any]]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    from workflow.db import db

    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)


def people_and_units(units: int, users: int) -> dict[str, int]:
    """``units`` units over ``INSTANSI`` instansi; ``users`` users in all, nearly all unit
    coordinators, plus one inspectorate user per instansi and a few national reviewers."""
    from workflow.db import db
    from workflow.models import Instansi, Unit, User, user_unit

    _insert(Instansi, [{"id": i, "name": f"Instansi {i}", "kind": "kementerian",
                        "created_at": CREATED} for i in range(1, INSTANSI + 1)])
    _insert(Unit, [{"id": i, "instansi_id": 1 + i % INSTANSI, "name": f"Unit {i}",
                    "code": f"U{i}", "eselon": 2, "strategic_service": True,
                    "rb_implemented": True, "large_resources": True, "created_at": CREATED}
                   for i in range(1, units + 1)])
    coordinators = max(users - INSTANSI - 20, units)
    rows = [{"id": i, "email": f"c{i}@bench.go.id", "name": "", "role": "coordinator",
             "instansi_id": 1 + (1 + (i - 1) % units) % INSTANSI, "language": "id",
             "daily_digest": False, "active": True, "created_at": CREATED}
            for i in range(1, coordinators + 1)]
    first = coordinators + 1
    rows += [{"id": first + n, "email": f"tpi{n + 1}@bench.go.id", "name": "",
              "role": "inspectorate", "instansi_id": n + 1, "language": "id",
              "daily_digest": False, "active": True, "created_at": CREATED}
             for n in range(INSTANSI)]
    first += INSTANSI
    rows += [{"id": first + n, "email": f"tpn{n + 1}@bench.go.id", "name": "", "role": "tpn",
              "instansi_id": None, "language": "id", "daily_digest": False, "active": True,
              "created_at": CREATED} for n in range(20)]
    _insert(User, rows)
    _insert(user_unit, [{"user_id": i, "unit_id": 1 + (i - 1) % units}
                        for i in range(1, coordinators + 1)])
    db.session.commit()
    return {"coordinators": coordinators, "first_inspectorate": coordinators + 1,
            "first_tpn": coordinators + 1 + INSTANSI}


def background_cases(count: int, units: int) -> None:
    """Cases that only make the tables national-sized (one per unit, various states)."""
    from workflow.db import db
    from workflow.models import Case

    states = ("pencanangan", "pembangunan", "pengusulan", "reviu_tpn", "penetapan")
    _insert(Case, [{"id": i, "unit_id": 1 + (i - 1) % units, "target": "WBK", "year": 2026,
                    "regulation": REGULATION, "state": states[i % len(states)], "version": 1,
                    "created_at": CREATED} for i in range(1, count + 1)])
    db.session.commit()


def best_answer(question: Question) -> dict[str, Any]:
    """The answer worth the most: full counts, the top of the scale, or the best option."""
    if question.answer_type == "percent" and question.formula is not None:
        return {"answer": None, "counts": {
            c.key: 0 if c.key in question.formula.numerator_minus else 10
            for c in question.counts}}
    if question.answer_type == "survey_index":
        return {"answer": str(question.scale_max), "counts": None}
    best = max(question.options, key=lambda key: question.options[key])
    return {"answer": best, "counts": None}


def lifecycle_cases(count: int, coordinator: int) -> list[int]:
    """``count`` cases in pencanangan, each in a new unit of instansi 1 that ``coordinator``
    coordinates, each ready for start_building … designate."""
    from workflow.db import db
    from workflow.lke import standing
    from workflow.lke.versions import get_version
    from workflow.models import Answer, Case, Declaration, Evidence, Unit, user_unit

    first = (db.session.execute(select(func.max(Case.id))).scalar() or 0) + 1
    first_unit = (db.session.execute(select(func.max(Unit.id))).scalar() or 0) + 1
    ids = list(range(first, first + count))
    units = list(range(first_unit, first_unit + count))
    answered_by = coordinator
    _insert(Unit, [{"id": i, "instansi_id": 1, "name": f"Unit {i}", "code": f"U{i}",
                    "eselon": 2, "strategic_service": True, "rb_implemented": True,
                    "large_resources": True, "created_at": CREATED} for i in units])
    _insert(user_unit, [{"user_id": coordinator, "unit_id": i} for i in units])
    version = get_version(REGULATION)
    _insert(Case, [{"id": case_id, "unit_id": units[n], "target": "WBK",
                    "year": 2026, "regulation": REGULATION, "state": "pencanangan",
                    "version": 1, "proposal": PROPOSAL, "rubric_id": version.id,
                    "rubric_sha256": version.sha256, "created_at": CREATED}
                   for n, case_id in enumerate(ids)])
    _insert(Declaration, [{"case_id": case_id, **DECLARATION, "updated_at": CREATED,
                           "updated_by": answered_by} for case_id in ids])
    questions = list(version.worksheet.questions.values())
    answers = [{"case_id": case_id, "kind": kind, "item_id": q.id, **best_answer(q),
                "note": "", "needs_revision": False, "revision": 1,
                "answered_by": answered_by, "answered_at": CREATED}
               for case_id in ids for kind in ("self", "tpi", "tpn") for q in questions]
    _insert(Answer, answers)
    _insert(Evidence, [{"case_id": case_id, "kind": "self", "item_id": q.id,
                        "link": f"https://bukti.example.go.id/{q.id}.pdf", "description": "",
                        "uploaded_by": answered_by, "uploaded_at": CREATED}
                       for case_id in ids for q in questions if q.evidence_required])
    for case in db.session.execute(select(Case).where(Case.id.in_(ids))).scalars():
        for kind in ("self", "tpi", "tpn"):  # as every write of a sheet does
            standing.refresh(case, kind)
    db.session.commit()
    return ids


def analysed() -> None:
    """Statistics for the planner, as autovacuum gathers them within a minute of bulk
    inserts: without them it plans for the empty tables it last saw (a scan of every
    coordinator to find a unit's)."""
    from workflow.db import db

    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def today_in_building() -> date:
    return date(2026, 3, 2)
