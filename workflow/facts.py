"""Read the rows a guard needs and hand them over as plain ``CaseFacts``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement, Label

from workflow.case_record import CaseRecord
from workflow.clock import jakarta_date
from workflow.db import db
from workflow.guards import AssessmentFacts, CaseFacts, DeclarationFacts, UnitFacts
from workflow.lke import standing
from workflow.lke.answers import KINDS
from workflow.lke.rubric import load_rubric
from workflow.lke.scoring import evaluate
from workflow.lke.standing import Standing
from workflow.models import Assessment, Case
from workflow.settings import current_duty_policy, current_policy


def holds_wbk(unit_id: int) -> bool:
    """DOMAIN.md: WBBM needs a held WBK (a WBK case of the unit in penetapan)."""
    return db.session.execute(
        select(Case.id).where(Case.unit_id == unit_id, Case.target == "WBK",
                              Case.state == "penetapan").limit(1)
    ).first() is not None


# The summary form is TPN's only (the unit and the TPI answer question by question).
SUMMARY_KINDS = ("tpn",)


def latest_assessments(case_id: int, kinds: Iterable[str] = KINDS) -> dict[str, Assessment]:
    """The newest assessment of each kind (older ones are kept for the record)."""
    rows = db.session.execute(
        select(Assessment).where(Assessment.case_id == case_id,
                                 Assessment.kind.in_(list(kinds))).order_by(Assessment.id)
    ).scalars()
    return {row.kind: row for row in rows}


def missing_fields(regulation: str, areas: Iterable[str], hasil: Iterable[str]) -> list[str]:
    rubric = load_rubric(regulation)
    given_areas, given_hasil = set(areas), set(hasil)
    return ([f"areas.{key}" for key in rubric.pengungkit_areas if key not in given_areas]
            + [f"hasil.{key}" for key in rubric.hasil_inputs if key not in given_hasil])


def as_decimals(figures: Mapping[str, str]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in figures.items()}


def assessment_facts(row: Assessment) -> AssessmentFacts:
    missing = tuple(missing_fields(row.regulation, row.areas, row.hasil))
    if missing:
        return AssessmentFacts(final=row.final, missing=missing, source="summary")
    evaluation = evaluate(load_rubric(row.regulation), as_decimals(row.areas),
                          as_decimals(row.hasil))
    return AssessmentFacts(
        final=row.final, source="summary",
        unmet_by_predicate={name: tuple(result.unmet)
                            for name, result in evaluation.predicates.items()},
    )


Sheets = dict[str, Standing | None]
# The latest summary assessment of each kind read (None: the kind has none).
Summaries = dict[str, Assessment | None]


def summary_columns(case_id: ColumnElement[int], kinds: Iterable[str]) -> list[Label[bool]]:
    """For the statement that reads the case row: whether each asked kind that has a summary
    form has a summary row, so a decision reads summary rows only where there are some."""
    return [select(Assessment.id).where(Assessment.case_id == case_id, Assessment.kind == kind)
            .exists().label(f"summarised_{kind}") for kind in kinds if kind in SUMMARY_KINDS]


def summaries_from(case_id: int, kinds: Iterable[str], values: Mapping[Any, Any]
                   ) -> Summaries:
    """The summaries of the asked kinds from the columns of :func:`summary_columns`: those
    without one are known, the others read."""
    kinds = tuple(kinds)
    return _summaries(case_id, kinds, {kind: None for kind in kinds if kind in SUMMARY_KINDS
                                       and not values[f"summarised_{kind}"]})


def _summaries(case_id: int, kinds: Iterable[str], known: Summaries | None) -> Summaries:
    """The summaries of ``kinds``: those already read, the others read now."""
    found = dict(known or {})
    unknown = [kind for kind in kinds if kind in SUMMARY_KINDS and kind not in found]
    if unknown:
        rows = latest_assessments(case_id, unknown)
        found.update({kind: rows.get(kind) for kind in unknown})
    return found


def read_sheets(case: Case | CaseRecord, kinds: Iterable[str], sheets: Sheets) -> None:
    """Add to ``sheets`` each of ``kinds`` not read yet, in one statement."""
    asked = [kind for kind in dict.fromkeys(kinds) if kind not in sheets]
    if asked:
        found = standing.read(case, asked)
        sheets.update({kind: found.get(kind) for kind in asked})


def worksheet_facts(case: Case | CaseRecord, kinds: Iterable[str] = KINDS,
                    sheets: Sheets | None = None, summaries: Summaries | None = None
                    ) -> dict[str, AssessmentFacts]:
    """Each asked kind's assessment as guards see it: its worksheet where it has answers (or,
    for TPN, a final summary: the summary form is TPN's only), else its summary row; kinds
    with neither are absent. ``sheets``: the worksheets read in this transaction (None: no
    answers), filled with those read here; the decision record takes its figures from it.
    ``summaries``: the summary rows read in this transaction.
    """
    kinds = tuple(kinds)
    if not kinds:
        return {}
    summaries = _summaries(case.id, kinds, summaries)
    read = sheets if sheets is not None else {}
    read_sheets(case, kinds, read)
    found: dict[str, AssessmentFacts] = {}
    for kind in kinds:
        summary, sheet = summaries.get(kind), read.get(kind)
        if summary is not None and (sheet is None or (kind == "tpn" and summary.final)):
            found[kind] = assessment_facts(summary)
        elif sheet is not None:
            found[kind] = AssessmentFacts(
                final=True, source="worksheet", unanswered=sheet.unanswered,
                without_evidence=sheet.without_evidence, flagged=sheet.flagged,
                unmet_by_predicate={name: tuple(result.unmet) for name, result
                                    in sheet.evaluation.predicates.items()})
    return found


def case_facts(case: Case | CaseRecord, now: datetime, reason: str | None = None,
               kinds: Iterable[str] = KINDS, sheets: Sheets | None = None,
               summaries: Summaries | None = None) -> CaseFacts:
    """The facts for the guards of a decision; ``kinds``: the assessments it relies on
    (reading only those keeps a transition to a few statements)."""
    policy = current_policy()
    today = jakarta_date(now)
    unit, decl = case.unit, case.declaration
    return CaseFacts(
        regulation=case.regulation,
        target=case.target,
        today=today,
        unit=UnitFacts(unit.eselon, unit.strategic_service, unit.rb_implemented,
                       unit.large_resources,
                       case.target == "WBBM" and holds_wbk(unit.id)),
        declaration=None if decl is None else DeclarationFacts(
            decl.staff_total, decl.pakta_signed, decl.head_signed,
            decl.commitment_statement, tuple(decl.team)),
        assessments=worksheet_facts(case, kinds, sheets, summaries),
        building_since=case.building_since,
        proposal=case.proposal,
        proposal_deadline=current_duty_policy().proposal_deadline(today.year),
        pakta_coverage_min=policy.pakta_coverage_min,
        reason=reason,
    )
