"""Reading worksheets: one kind question by question, or all three side by side.

The shapes returned here are the HTTP contract (``api.schemas``): every figure a string with
two decimals, question values as plain decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from workflow.lke.answers import (
    EDITABLE,
    KINDS,
    answers_of,
    changed_since_return,
    completeness,
    entered,
    evidence_of,
)
from workflow.lke.catalog import Version
from workflow.lke.marking import explain, value_of
from workflow.lke.versions import version_for_case
from workflow.lke.worksheet import Question
from workflow.models import Answer, Case, Evidence

_FOUR = Decimal("0.0001")


def question_body(question: Question) -> dict[str, Any]:
    """A question as the rubric describes it (``GET /rubrics/{id}`` and the worksheets)."""
    return {
        "id": question.id, "component": question.component, "aspect": question.aspect,
        "area": question.area, "indicator": question.indicator, "key": question.key,
        "text": question.text, "answer_type": question.answer_type,
        "options": [{"key": key, "value": f"{value}", "text": question.option_texts.get(key)}
                    for key, value in question.options.items()],
        "count_fields": [{"key": c.key, "label": c.label, "soal_id": c.soal_id}
                   for c in question.counts],
        "formula": None if question.formula is None else {
            "numerator": list(question.formula.numerator),
            "numerator_minus": list(question.formula.numerator_minus),
            "denominator": list(question.formula.denominator),
            "cap": question.formula.cap,
            "if_denominator_zero": f"{question.formula.if_denominator_zero}"},
        "scale_max": None if question.scale_max is None else f"{question.scale_max}",
        "weight": f"{question.weight}",
        "evidence_required": question.evidence_required,
        "soal_ids": list(question.soal_ids),
        "explanation": question.explanation,
    }


def evidence_body(row: Evidence) -> dict[str, Any]:
    return {"id": row.id, "item_id": row.item_id, "link": row.link, "filename": row.filename,
            "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
            "description": row.description, "uploaded_by": row.uploaded_by,
            "uploaded_at": row.uploaded_at}


def _answer_body(question: Question, row: Answer | None) -> dict[str, Any]:
    value = value_of(question, entered({question.id: row})[question.id]) if row else None
    return {
        "answer": row.answer if row else None, "counts": row.counts if row else None,
        "note": row.note if row else "", "revision": row.revision if row else 0,
        "needs_revision": row.needs_revision if row else False,
        "value": None if value is None else f"{value.quantize(_FOUR)}",
        "answered_by": row.answered_by if row else None,
        "answered_at": row.answered_at if row else None,
    }


def worksheet(case: Case, kind: str) -> dict[str, Any]:
    """The whole worksheet of one kind: every question with its answer, note, evidence and
    the reviewers' flags, plus the evaluation as ``POST /rubrics/{id}/evaluate`` gives it."""
    version = version_for_case(case)
    rows = answers_of(case.id)
    evidence = evidence_of(case.id)
    state = completeness(version, kind, rows[kind], evidence)
    changed = None
    if kind == "self":
        changed = changed_since_return(
            case.id, {item: row.revision for item, row in rows["self"].items()})
    questions = []
    for question in version.worksheet.questions.values():
        body = question_body(question)
        body.update(_answer_body(question, rows[kind].get(question.id)))
        body["evidence"] = [evidence_body(e) for e in evidence.get(question.id, ())]
        body["review"] = {reviewer: {"needs_revision": r.needs_revision, "note": r.note}
                          for reviewer in ("tpi", "tpn")
                          if (r := rows[reviewer].get(question.id)) is not None}
        questions.append(body)
    return {
        "case_id": case.id, "kind": kind, "rubric_id": version.id,
        "rubric_sha256": version.sha256, "case_version": case.version,
        "editable": case.state in EDITABLE[kind],
        "complete": not (state.unanswered or state.without_evidence),
        "unanswered": list(state.unanswered),
        "without_evidence": list(state.without_evidence),
        "flagged": list(state.flagged),
        "changed_since_return": changed,
        "evaluation": state.marks.evaluation.as_dict(),
        "questions": questions,
    }


def side_by_side(case: Case) -> dict[str, Any]:
    """Self, TPI and TPN per question and per area, with the differences marked."""
    version = version_for_case(case)
    rows = answers_of(case.id)
    evidence = evidence_of(case.id)
    marks = {kind: completeness(version, kind, rows[kind], evidence).marks for kind in KINDS}
    questions = []
    for question in version.worksheet.questions.values():
        answers = {kind: _answer_body(question, rows[kind].get(question.id)) for kind in KINDS}
        questions.append({
            "id": question.id, "area": question.area, "text": question.text,
            "answer_type": question.answer_type,
            **{kind: answers[kind] for kind in KINDS},
            "differs": _differs(answers[k]["value"] for k in KINDS),
        })
    areas = []
    for key in version.rubric.pengungkit_areas:
        figures = {kind: f"{marks[kind].evaluation.areas[key]:.2f}" for kind in KINDS}
        areas.append({"key": key, **figures, "differs": _differs(figures.values())})
    totals = {kind: f"{marks[kind].evaluation.total:.2f}" for kind in KINDS}
    return {"case_id": case.id, "rubric_id": version.id, "questions": questions,
            "areas": areas, "total": {**totals, "differs": _differs(totals.values())}}


def _differs(values: Any) -> bool:
    """Different answers among those given (an unanswered side is no difference)."""
    given = {v for v in values if v is not None}
    return len(given) > 1


def version_questions(version: Version) -> Sequence[Mapping[str, Any]]:
    return [question_body(q) for q in version.worksheet.questions.values()]


def explanation(case: Case, kind: str, target: str | None = None) -> dict[str, Any]:
    """Every figure of one worksheet with its arithmetic, and what would lift each shortfall."""
    version = version_for_case(case)
    rows = answers_of(case.id, (kind,))[kind]
    marks = completeness(version, kind, rows, {}).marks
    return explain(version.rubric, version.worksheet, marks, entered(rows),
                   target or case.target)
