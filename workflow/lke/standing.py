"""A worksheet's standing: what a decision reads of a sheet, kept in one row per sheet.

A transition's guard needs of a worksheet its evaluation (the scores, and what each
predicate misses) and its unanswered, unevidenced and flagged questions; the decision record
adds each answer's revision. Reading and marking the whole sheet for that was most of a
transition's cost (issue 11), so every write of a sheet keeps its standing in ``lke_mark``
and a decision reads that row. The evaluation is kept as its unrounded points (Decimal
strings, exact) and judged again with the case's pinned rubric, so the guards get the very
objects a full marking gives.

A kept row is never stale: database triggers delete it whenever the sheet's answers or its
evidence change, whoever changes them (migration ``0010_worksheet_marks``); a sheet without
a row is read and marked in full. With ``VERIFY_KEPT_MARKS`` set (the test suite sets it),
every kept row read is checked against a full marking.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    CompoundSelect,
    Integer,
    String,
    Table,
    bindparam,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import BindParameter, ColumnElement, Label

from workflow.case_record import CaseRecord
from workflow.db import db
from workflow.lke.answers import (
    ANSWER_TABLE,
    AnswerState,
    answer_states,
    completeness,
    evidenced_items,
)
from workflow.lke.catalog import Version
from workflow.lke.scoring import Evaluation, evaluate_points
from workflow.lke.versions import version_for_case
from workflow.models import Case, WorksheetMark

TABLE: Table = WorksheetMark.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Standing:
    """One worksheet as a decision sees it."""

    evaluation: Evaluation
    unanswered: tuple[str, ...]
    without_evidence: tuple[str, ...]
    flagged: tuple[str, ...]
    #: item id -> revision of its current answer
    revisions: Mapping[str, int]


def measure(version: Version, kind: str, rows: Mapping[str, AnswerState],
            evidenced: Container[str]) -> tuple[Standing, dict[str, Any]]:
    """Mark a sheet in full: its standing, and the row that keeps it (revisions as a list in
    the pinned worksheet's question order, 0 for unanswered: a tenth of a map's size)."""
    state = completeness(version, kind, rows, evidenced)
    standing = Standing(state.marks.evaluation, state.unanswered, state.without_evidence,
                        state.flagged, {item: row.revision for item, row in rows.items()})
    questions = version.worksheet.questions
    kept = {"area_raw": {key: str(value) for key, value in state.marks.area_raw.items()},
            "sub_raw": {key: str(value) for key, value in state.marks.sub_raw.items()},
            "unanswered": list(standing.unanswered),
            "without_evidence": list(standing.without_evidence),
            "flagged": list(standing.flagged),
            "revisions": [rows[item].revision if item in rows else 0 for item in questions],
            "other_revisions": {item: row.revision for item, row in rows.items()
                                if item not in questions}}
    return standing, kept


def _restore(version: Version, kept: Mapping[str, Any]) -> Standing:
    evaluation = evaluate_points(
        version.rubric, {key: Decimal(value) for key, value in kept["area_raw"].items()},
        {key: Decimal(value) for key, value in kept["sub_raw"].items()})
    revisions = {item: revision for item, revision
                 in zip(version.worksheet.questions, kept["revisions"], strict=True) if revision}
    revisions.update(kept["other_revisions"])
    return Standing(evaluation, tuple(kept["unanswered"]), tuple(kept["without_evidence"]),
                    tuple(kept["flagged"]), revisions)


@cache
def _read_statement(kinds: tuple[str, ...]) -> CompoundSelect:
    """The kept rows of the asked sheets and, in the same round trip, the answers of each
    sheet without one (built once per set of kinds). Each sheet's answers are a branch of
    their own whose condition does not depend on the row, so the database checks it once
    and reads no answer of a sheet that has a kept row."""
    answer = ANSWER_TABLE
    case_id: BindParameter[int] = bindparam("b_case_id", type_=Integer)
    kept = select(TABLE.c.kind, TABLE.c.standing, type_coerce(null(), String).label("item_id"),
                  type_coerce(null(), String).label("answer"),
                  type_coerce(null(), JSON).label("counts"),
                  type_coerce(null(), Boolean).label("needs_revision"),
                  type_coerce(null(), Integer).label("revision")).where(
        TABLE.c.case_id == case_id, TABLE.c.kind.in_(kinds))
    unkept = [select(answer.c.kind, type_coerce(null(), JSON), answer.c.item_id,
                     answer.c.answer, answer.c.counts, answer.c.needs_revision,
                     answer.c.revision).where(
        answer.c.case_id == case_id, answer.c.kind == kind,
        ~select(TABLE.c.case_id).where(TABLE.c.case_id == case_id, TABLE.c.kind == kind)
        .exists()) for kind in kinds]
    return union_all(kept, *unkept)


def _marked_in_full(case: Case | CaseRecord, version: Version,
                    rows: Mapping[str, Mapping[str, AnswerState]]) -> dict[str, Standing]:
    evidenced = evidenced_items(case.id) if rows.get("self") else set()
    return {kind: measure(version, kind, answers, evidenced)[0]
            for kind, answers in rows.items() if answers}


def read(case: Case | CaseRecord, kinds: Iterable[str]) -> dict[str, Standing]:
    """Each asked sheet that has answers, by kind: its kept row where there is one, else
    marked in full from its answers (read in the same statement). Sheets without answers
    are absent."""
    kinds = list(dict.fromkeys(kinds))
    if not kinds:
        return {}
    kept: dict[str, Mapping[str, Any]] = {}
    rows: dict[str, dict[str, AnswerState]] = {kind: {} for kind in kinds}
    for row in db.session.execute(_read_statement(tuple(kinds)), {"b_case_id": case.id}):
        if row.standing is not None:
            kept[row.kind] = row.standing
        else:
            rows[row.kind][row.item_id] = row
    if not kept and not any(rows.values()):
        return {}
    found = _restored(case, kept)
    found.update(_marked_in_full(case, version_for_case(case), rows))
    return found


def _restored(case: Case | CaseRecord, kept: Mapping[str, Mapping[str, Any]]
              ) -> dict[str, Standing]:
    """Kept rows as standings (checked against a full marking with ``VERIFY_KEPT_MARKS``)."""
    if not kept:
        return {}
    version = version_for_case(case)
    found = {kind: _restore(version, standing) for kind, standing in kept.items()}
    if current_app.config.get("VERIFY_KEPT_MARKS"):
        full = _marked_in_full(case, version, answer_states(case.id, found))
        for kind, standing in found.items():
            if full.get(kind) != standing:
                raise AssertionError(f"case {case.id}: the kept {kind} marks are stale")
    return found


def kept_columns(case_id: ColumnElement[int], kinds: Iterable[str]) -> list[Label[Any]]:
    """For the statement that reads the case row: each asked sheet's kept row and whether
    the sheet has answers, so a decision reads its sheets in the case's own round trip."""
    columns: list[Label[Any]] = []
    for kind in kinds:
        columns.append(select(TABLE.c.standing)
                       .where(TABLE.c.case_id == case_id, TABLE.c.kind == kind)
                       .scalar_subquery().label(f"kept_{kind}"))
        columns.append(select(ANSWER_TABLE.c.id)
                       .where(ANSWER_TABLE.c.case_id == case_id, ANSWER_TABLE.c.kind == kind)
                       .exists().label(f"answered_{kind}"))
    return columns


def from_columns(case: CaseRecord, kinds: Iterable[str], values: Mapping[Any, Any]
                 ) -> dict[str, Standing | None]:
    """The asked sheets from the columns of :func:`kept_columns`: None for a sheet without
    answers; a sheet with answers but no kept row is read and marked in full."""
    kinds = tuple(kinds)
    kept = {kind: values[f"kept_{kind}"] for kind in kinds
            if values[f"kept_{kind}"] is not None}
    found: dict[str, Standing | None] = dict.fromkeys(kinds)
    found.update(_restored(case, kept))
    found.update(read(case, [kind for kind in kinds
                             if kind not in kept and values[f"answered_{kind}"]]))
    return found


@cache
def _upsert(dialect: str) -> Insert:
    statement = (postgresql.insert(TABLE) if dialect == "postgresql"
                 else sqlite.insert(TABLE))
    return statement.on_conflict_do_update(
        index_elements=[TABLE.c.case_id, TABLE.c.kind],
        set_={"standing": statement.excluded.standing})


def keep(case: Case, kind: str, rows: Mapping[str, AnswerState],
         evidenced: Container[str]) -> None:
    """Store the sheet's standing, inside the transaction that wrote the sheet (after its
    last write: each write's trigger forgets the row). A sheet without answers keeps none."""
    if not rows:
        return
    _, kept = measure(version_for_case(case), kind, rows, evidenced)
    dialect = db.session.get_bind().dialect.name
    db.session.execute(_upsert(dialect), {"case_id": case.id, "kind": kind, "standing": kept})


def refresh(case: Case, kind: str) -> None:
    """Read the sheet as it now stands in this transaction and keep its standing."""
    rows = answer_states(case.id, (kind,))[kind]
    keep(case, kind, rows, evidenced_items(case.id) if kind == "self" and rows else ())
