"""Marking a worksheet: each answer's value, each indicator's points, and why.

Rules (DOMAIN.md: Rubric weights; README "The worksheet"):

* a question's value is in [0, 1]: its option's value, ``index / scale maximum`` for a survey,
  the formula's ratio for counts; an unanswered question counts 0 until it is answered;
* indicator points = indicator weight x the (item-weighted) mean of its questions' values:
  our reading, the regulations do not say how items add up to an indicator;
* area = sum of its indicators (pemenuhan and reform together), hasil sub-component = its
  indicator; from there :func:`workflow.lke.scoring.evaluate_points` rounds and judges, as
  for the summary form.

Counts: a negative ratio (more disciplinary violations than last year) counts 0; a
numerator above its denominator is refused unless the formula allows it (one change agent
may make several changes: capped at 1); a zero denominator gives the formula's
``if_denominator_zero`` value when the numerator is 0 too, else 0.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from workflow.lke.rubric import Rubric
from workflow.lke.scoring import _CONTEXT, Evaluation, evaluate_points, quantize2
from workflow.lke.worksheet import Indicator, Question, Worksheet

__all__ = ["MAX_COUNT", "Answer", "AnswerError", "Marks", "explain", "mark", "normalise",
           "value_of"]

MAX_COUNT = 10**9
_ZERO, _ONE = Decimal(0), Decimal(1)
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Answer:
    """What was entered for one question: an option key or survey index, or counts."""

    answer: str | None = None
    counts: Mapping[str, int] | None = None

    @property
    def given(self) -> bool:
        return self.answer is not None or self.counts is not None


class AnswerError(ValueError):
    """An answer that does not fit its question; ``field`` names the part at fault."""

    def __init__(self, field: str, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field, self.message_id, self.message_en = field, message_id, message_en

    @property
    def message(self) -> str:
        return f"{self.message_id} / {self.message_en}"


def normalise(question: Question, answer: object = None, counts: object = None) -> Answer:
    """Check an answer against its question's type; :class:`AnswerError` names the field."""
    if question.answer_type == "percent":
        if answer is not None:
            raise AnswerError("answer", "Pertanyaan ini dijawab dengan jumlah (counts)",
                              "This question is answered with counts")
        return Answer(counts=None if counts is None else _counts(question, counts))
    if counts is not None:
        raise AnswerError("counts", "Pertanyaan ini tidak dijawab dengan jumlah",
                          "This question is not answered with counts")
    if answer is None:
        return Answer()
    if question.answer_type == "survey_index":
        return Answer(answer=_index(question, answer))
    if not isinstance(answer, str) or answer not in question.options:
        keys = ", ".join(question.options)
        raise AnswerError("answer", f"Jawaban harus salah satu dari: {keys}",
                          f"The answer must be one of: {keys}")
    return Answer(answer=answer)


def _index(question: Question, raw: object) -> str:
    maximum = question.scale_max or _ZERO
    wrong = AnswerError("answer", f"Nilai indeks harus angka 0 sampai {maximum} "
                                  "dengan paling banyak dua desimal",
                        f"The index must be a number from 0 to {maximum} "
                        "with at most two decimals")
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise wrong
    try:
        number = Decimal(str(raw).strip())
    except ArithmeticError as err:
        raise wrong from err
    if (not number.is_finite() or number < 0 or number > maximum
            or number != number.quantize(_HUNDREDTH)):
        raise wrong
    return f"{number.quantize(_HUNDREDTH):f}"


def _counts(question: Question, raw: object) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise AnswerError("counts", "Jumlah harus berupa objek", "Counts must be an object")
    keys = [field.key for field in question.counts]
    for key in raw:
        if key not in keys:
            raise AnswerError(f"counts.{key}", "Kolom jumlah tidak dikenal", "Unknown count")
    counts: dict[str, int] = {}
    for key in keys:
        value = raw.get(key)
        if value is None:
            raise AnswerError(f"counts.{key}", "Wajib diisi", "Required")
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or (
                isinstance(value, Decimal) and value != value.to_integral_value()):
            raise AnswerError(f"counts.{key}", "Harus bilangan bulat", "Must be a whole number")
        number = int(value)
        if number < 0 or number > MAX_COUNT:
            raise AnswerError(f"counts.{key}", f"Harus antara 0 dan {MAX_COUNT}",
                              f"Must be between 0 and {MAX_COUNT}")
        counts[key] = number
    formula = question.formula
    assert formula is not None
    if not formula.may_exceed:
        numerator = sum(counts[k] for k in formula.numerator)
        denominator = sum(counts[k] for k in formula.denominator)
        if numerator > denominator:
            key = formula.numerator[0]
            raise AnswerError(f"counts.{key}",
                              f"Tidak boleh melebihi {' + '.join(formula.denominator)}",
                              f"Must not exceed {' + '.join(formula.denominator)}")
    return counts


def value_of(question: Question, answer: Answer | None) -> Decimal | None:
    """The question's value in [0, 1], or None while it is unanswered."""
    if answer is None or not answer.given:
        return None
    if question.answer_type == "percent":
        assert question.formula is not None and answer.counts is not None
        formula, counts = question.formula, answer.counts
        numerator = (sum(counts[k] for k in formula.numerator)
                     - sum(counts[k] for k in formula.numerator_minus))
        denominator = sum(counts[k] for k in formula.denominator)
        if denominator == 0:
            return formula.if_denominator_zero if numerator == 0 else _ZERO
        with localcontext(_CONTEXT):
            return max(_ZERO, min(_ONE, Decimal(numerator) / Decimal(denominator)))
    assert answer.answer is not None
    if question.answer_type == "survey_index":
        assert question.scale_max
        with localcontext(_CONTEXT):
            return Decimal(answer.answer) / question.scale_max
    return question.options[answer.answer]


@dataclass(frozen=True)
class IndicatorMarks:
    indicator: Indicator
    #: question id -> value (None: unanswered, counted as 0)
    values: Mapping[str, Decimal | None]
    #: weighted mean of the values, unrounded
    mean: Decimal
    #: points, unrounded
    points: Decimal


@dataclass(frozen=True)
class Marks:
    """A worksheet marked: per indicator, the evaluation, and what is still unanswered."""

    indicators: tuple[IndicatorMarks, ...]
    evaluation: Evaluation
    unanswered: tuple[str, ...]
    area_raw: Mapping[str, Decimal]
    sub_raw: Mapping[str, Decimal]


def mark(rubric: Rubric, worksheet: Worksheet, answers: Mapping[str, Answer]) -> Marks:
    """Mark every question; unanswered ones count 0, so the score moves as answers come."""
    subcomponent = {(spec.area_key, spec.indicator_key): spec.subcomponent
                    for spec in rubric.hasil_specs.values()}
    area_raw = {key: _ZERO for key in rubric.pengungkit_areas}
    sub_raw = {spec.subcomponent: _ZERO for spec in rubric.hasil_specs.values()}
    marked = []
    unanswered = []
    with localcontext(_CONTEXT):
        for indicator in worksheet.indicators:
            values: dict[str, Decimal | None] = {}
            weighted, total_weight = _ZERO, _ZERO
            for qid in indicator.questions:
                question = worksheet.questions[qid]
                value = value_of(question, answers.get(qid))
                values[qid] = value
                if value is None:
                    unanswered.append(qid)
                weighted += question.weight * (value or _ZERO)
                total_weight += question.weight
            mean = weighted / total_weight if total_weight else _ZERO
            points = indicator.weight * mean
            marked.append(IndicatorMarks(indicator, values, mean, points))
            if indicator.component == "pengungkit":
                area_raw[indicator.area] += points
            else:
                sub_raw[subcomponent[(indicator.area, indicator.key)]] += points
    evaluation = evaluate_points(rubric, area_raw, sub_raw)
    return Marks(tuple(marked), evaluation, tuple(unanswered), area_raw, sub_raw)


# --------------------------------------------------------------------------- explain

def _fmt(value: Decimal) -> str:
    return f"{quantize2(value):.2f}"


def _plain(value: Decimal) -> str:
    """A value as people write it: 1, 0.5, 0.67 (up to four decimals)."""
    text = f"{value.quantize(Decimal('0.0001')).normalize():f}"
    return "0" if text in ("-0", "0") else text


def explain(rubric: Rubric, worksheet: Worksheet, marks: Marks,
            answers: Mapping[str, Answer], target: str) -> dict[str, object]:
    """Every figure with its inputs, weights and arithmetic; for each unmet threshold of
    ``target``, the unanswered or lowest-scoring questions that would move it most."""
    evaluation = marks.evaluation
    gains: dict[str, Decimal] = {}
    indicators_out = []
    for im in marks.indicators:
        total_weight = sum((worksheet.questions[q].weight for q in im.indicator.questions),
                           _ZERO)
        rows = []
        for qid, value in im.values.items():
            question = worksheet.questions[qid]
            share = im.indicator.weight * question.weight / total_weight
            gains[qid] = share * (_ONE - (value or _ZERO))
            answer = answers.get(qid)
            rows.append({
                "id": qid, "text": question.text, "answer_type": question.answer_type,
                "answer": None if answer is None else answer.answer,
                "counts": None if answer is None or answer.counts is None
                else dict(answer.counts),
                "value": None if value is None else _plain(value),
                "weight": _plain(question.weight),
            })
        terms = " + ".join(
            (_plain(v) if v is not None else "0") if worksheet.questions[q].weight == 1
            else f"{_plain(worksheet.questions[q].weight)}×{_plain(v or _ZERO)}"
            for q, v in im.values.items())
        indicators_out.append({
            "path": im.indicator.path, "component": im.indicator.component,
            "area": im.indicator.area, "name": im.indicator.name,
            "weight": _plain(im.indicator.weight), "mean": _plain(im.mean),
            "points": _fmt(im.points),
            "arithmetic": f"{_plain(im.indicator.weight)} × ({terms}) / "
                          f"{_plain(total_weight)} = {_fmt(im.points)}",
            "questions": rows,
        })
    areas_out = []
    for key, weight in rubric.pengungkit_areas.items():
        parts = [i for i in indicators_out if i["component"] == "pengungkit" and i["area"] == key]
        areas_out.append({
            "key": key, "name": rubric.area_names.get(key, key), "weight": _plain(weight),
            "points": f"{evaluation.areas[key]:.2f}",
            "arithmetic": " + ".join(str(i["points"]) for i in parts)
            + f" = {evaluation.areas[key]:.2f} (dari angka tak dibulatkan / from unrounded)",
        })
    unmet_out = []
    predicate = evaluation.predicates.get(target)
    for unmet in (predicate.unmet if predicate else ()):
        candidates = _movers(worksheet, rubric, unmet.code, unmet.subject)
        best = sorted(candidates, key=lambda q: (-gains[q], q))[:10]
        unmet_out.append({
            **unmet.as_dict(),
            "questions": [{"id": q, "text": worksheet.questions[q].text,
                           "answered": q not in marks.unanswered,
                           "gain": _fmt(gains[q])} for q in best if gains[q] > 0],
        })
    return {
        "rubric": rubric.id, "target": target, "evaluation": evaluation.as_dict(),
        "rule": "indikator = bobot × rata-rata nilai pertanyaan / indicator = weight × mean "
                "of its questions' values (tafsiran kami / our reading)",
        "total": {"value": f"{evaluation.total:.2f}",
                  "arithmetic": f"pengungkit {evaluation.pengungkit:.2f} + hasil "
                                f"{evaluation.components['hasil']:.2f}"},
        "areas": areas_out, "indicators": indicators_out,
        "unanswered": list(marks.unanswered), "unmet": unmet_out,
    }


_HASIL_SCOPE = {"ipak_below_minimum": "ipak", "tlhp_below_minimum": "tlhp",
                "kinerja_below_minimum": "kinerja"}


def _movers(worksheet: Worksheet, rubric: Rubric, code: str, subject: str | None) -> list[str]:
    """The questions whose answers feed the figure behind an unmet threshold."""
    by_sub = {(s.area_key, s.indicator_key): s for s in rubric.hasil_specs.values()}

    def hasil(predicate: str) -> list[str]:
        return [q for i in worksheet.indicators if i.component == "hasil"
                and (spec := by_sub.get((i.area, i.key))) is not None
                and predicate in (spec.subcomponent, spec.component) for q in i.questions]

    if code == "area_below_minimum":
        return [q for i in worksheet.indicators if i.component == "pengungkit"
                and i.area == subject for q in i.questions]
    if code == "pengungkit_below_minimum":
        return [q for i in worksheet.indicators if i.component == "pengungkit"
                for q in i.questions]
    if code == "clean_component_below_minimum":
        return hasil("bersih")
    if code == "service_component_below_minimum":
        return hasil("pelayanan")
    if code in _HASIL_SCOPE:
        return hasil(_HASIL_SCOPE[code])
    return list(worksheet.questions)
