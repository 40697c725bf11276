"""The worksheet of a rubric version, question by question: what can be answered and how.

A rubric tree (components -> aspects -> areas -> indicators -> items, the shape of
``shared/lke``) becomes a flat, ordered list of :class:`Question` s with their answer type,
option values, count fields and formula, and the :class:`Indicator` s that weigh them.

Option values (``shared/lke/README.md``, confirmed by PortalRB's ``skema_penilaian``):
Ya/Tidak 1/0; A-C 1, 0.5, 0; A-D 1, 0.67, 0.33, 0; A-E 1, 0.75, 0.5, 0.25, 0. An item may carry
its own ``option_values`` (PortalRB's multipliers), which win.

Percent items are answered with counts. Their formula is a sum of counts minus another sum,
divided by a sum: read from the item's normalised ``formula`` (PortalRB's master list through
our mapping) or parsed from the YAML's printed form (``a``, ``a - b``, an input whose
``breakdown`` rows add up to it). Where an item's inputs are not printed (52/2014 TLHP), an
overlay file of ours supplies them, marked *inferred*.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml

from workflow.lke.rubric import RubricDataError

__all__ = [
    "ANSWER_TYPES",
    "DEFAULT_OPTION_VALUES",
    "CountField",
    "Formula",
    "Indicator",
    "Question",
    "Worksheet",
    "build_worksheet",
]

ANSWER_TYPES = ("yes_no", "abc", "abcd", "abcde", "percent", "survey_index")

DEFAULT_OPTION_VALUES: dict[str, dict[str, Decimal]] = {
    "yes_no": {"Ya": Decimal(1), "Tidak": Decimal(0)},
    "abc": {"A": Decimal(1), "B": Decimal("0.5"), "C": Decimal(0)},
    "abcd": {"A": Decimal(1), "B": Decimal("0.67"), "C": Decimal("0.33"), "D": Decimal(0)},
    "abcde": {"A": Decimal(1), "B": Decimal("0.75"), "C": Decimal("0.5"), "D": Decimal("0.25"),
              "E": Decimal(0)},
}
_KEY = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class CountField:
    """One count entered for a percent item (PortalRB: one ``Jumlah`` question)."""

    key: str
    label: str
    soal_id: int | None = None
    excel_row: int | None = None


@dataclass(frozen=True)
class Formula:
    """``(sum(numerator) - sum(numerator_minus)) / sum(denominator)``, then bounded to [0, 1].

    ``cap``: the numerator may exceed the denominator (the value is capped at 1); otherwise a
    numerator above the denominator is an input error. ``if_denominator_zero``: the value when
    both the denominator and the numerator are 0 (nothing to do, or nothing done).
    """

    numerator: tuple[str, ...]
    numerator_minus: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    cap: bool = False
    if_denominator_zero: Decimal = Decimal(0)

    @property
    def may_exceed(self) -> bool:
        """Whether a numerator above the denominator is a legitimate answer."""
        return self.cap or bool(self.numerator_minus)


@dataclass(frozen=True)
class Question:
    """One LKE item: answered with an option, a survey index, or counts."""

    id: str
    component: str
    aspect: str
    area: str
    indicator: str
    key: str
    text: str
    answer_type: str
    #: option key -> value in [0, 1]
    options: Mapping[str, Decimal]
    #: option key -> printed text (None where the source prints none)
    option_texts: Mapping[str, str | None]
    counts: tuple[CountField, ...] = ()
    formula: Formula | None = None
    scale_max: Decimal | None = None
    #: relative weight within its indicator (printed only for LHKPN/LHKASN; else 1)
    weight: Decimal = Decimal(1)
    evidence_required: bool = False
    explanation: str | None = None
    soal_id: int | None = None
    excel_row: int | None = None

    @property
    def soal_ids(self) -> tuple[int, ...]:
        """PortalRB's question ids: the item's own, or one per count field."""
        if self.counts:
            return tuple(c.soal_id for c in self.counts if c.soal_id is not None)
        return (self.soal_id,) if self.soal_id is not None else ()


@dataclass(frozen=True)
class Indicator:
    component: str
    aspect: str
    area: str
    key: str
    name: str
    weight: Decimal
    questions: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{self.aspect}.{self.area}.{self.key}"


@dataclass(frozen=True)
class Worksheet:
    """Every question of a rubric version, in the order of the worksheet."""

    rubric_id: str
    questions: Mapping[str, Question]
    indicators: tuple[Indicator, ...]

    def indicator_of(self, question: Question) -> Indicator:
        return self._by_path[f"{question.aspect}.{question.area}.{question.indicator}"]

    @functools.cached_property
    def _by_path(self) -> dict[str, Indicator]:
        return {indicator.path: indicator for indicator in self.indicators}


def _dec(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RubricDataError(f"{where}: expected a number, got {value!r}")
    number = Decimal(str(value))
    if not number.is_finite() or number < 0:
        raise RubricDataError(f"{where}: expected a non-negative number, got {value!r}")
    return number


@functools.cache
def overlay(rubric_id: str) -> dict[str, Any]:
    """Our additions to a verbatim rubric file (``data/overlay-<id>.yaml``), or nothing."""
    path = resources.files("workflow.lke") / "data" / f"overlay-{rubric_id}.yaml"
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_bytes()) or {}
    if not isinstance(loaded, dict):
        raise RubricDataError(f"overlay-{rubric_id}.yaml: expected a mapping")
    return loaded


def build_worksheet(rubric_id: str, tree: Mapping[str, Any],
                    extra: Mapping[str, Mapping[str, Any]] | None = None) -> Worksheet:
    """The questions of a rubric tree; ``extra`` adds or overrides fields per item id."""
    extra = extra or {}
    questions: dict[str, Question] = {}
    indicators: list[Indicator] = []
    for component in tree.get("components") or []:
        for aspect in component.get("aspects") or []:
            for area in aspect.get("areas") or []:
                for indicator in area.get("indicators") or []:
                    ids = []
                    for item in indicator.get("items") or []:
                        merged = {**item, **extra.get(str(item.get("id")), {})}
                        question = _question(merged, component["key"], aspect["key"],
                                             area["key"], indicator["key"])
                        if question.id in questions:
                            raise RubricDataError(f"duplicate item id {question.id}")
                        questions[question.id] = question
                        ids.append(question.id)
                    if not ids:
                        raise RubricDataError(f"indicator {indicator.get('key')} has no items")
                    indicators.append(Indicator(
                        component["key"], aspect["key"], area["key"], indicator["key"],
                        str(indicator.get("name") or indicator["key"]),
                        _dec(indicator.get("weight"), f"{indicator['key']}.weight"),
                        tuple(ids)))
    if not questions:
        raise RubricDataError(f"{rubric_id}: no items")
    return Worksheet(rubric_id, questions, tuple(indicators))


def _question(item: Mapping[str, Any], component: str, aspect: str, area: str,
              indicator: str) -> Question:
    item_id = str(item.get("id") or "")
    answer_type = item.get("answer_type")
    if not item_id or answer_type not in ANSWER_TYPES:
        raise RubricDataError(f"item {item_id!r}: unknown answer type {answer_type!r}")
    options: dict[str, Decimal] = {}
    option_texts: dict[str, str | None] = {}
    if answer_type in DEFAULT_OPTION_VALUES:
        given = item.get("option_values") or {}
        for key, default in DEFAULT_OPTION_VALUES[answer_type].items():
            options[key] = _dec(given.get(key, default), f"{item_id}.option_values.{key}")
            if options[key] > 1:
                raise RubricDataError(f"{item_id}: option {key} is worth more than 1")
        texts = item.get("options") or {}
        option_texts = {key: (None if texts.get(key) is None else str(texts[key]))
                        for key in options}
    counts: tuple[CountField, ...] = ()
    formula = None
    if answer_type == "percent":
        counts, formula = _counts_and_formula(item_id, item)
    scale_max = None
    if answer_type == "survey_index":
        scale = item.get("scale") or {}
        if _dec(scale.get("min", 0), f"{item_id}.scale.min") != 0:
            raise RubricDataError(f"{item_id}: a survey scale starts at 0")
        scale_max = _dec(scale.get("max"), f"{item_id}.scale.max")
    evidence = item.get("evidence_required")
    return Question(
        id=item_id, component=component, aspect=aspect, area=area, indicator=indicator,
        key=str(item.get("key") or ""), text=str(item.get("question") or ""),
        answer_type=answer_type, options=options, option_texts=option_texts,
        counts=counts, formula=formula, scale_max=scale_max,
        weight=_dec(item.get("weight", 1), f"{item_id}.weight"),
        # DOMAIN data: evidence is required for every pengungkit question unless said otherwise.
        evidence_required=(component == "pengungkit") if evidence is None else bool(evidence),
        explanation=item.get("explanation"),
        soal_id=item.get("soal_id"), excel_row=item.get("excel_row"),
    )


def _counts_and_formula(item_id: str, item: Mapping[str, Any]
                        ) -> tuple[tuple[CountField, ...], Formula]:
    inputs = item.get("inputs")
    if not inputs:
        raise RubricDataError(f"{item_id}: a percent item without count inputs")
    counts: list[CountField] = []
    sums: dict[str, tuple[str, ...]] = {}
    for entry in inputs:
        rows = entry.get("breakdown") or [entry]
        for row in rows:
            counts.append(CountField(str(row["key"]), str(row.get("label") or row["key"]),
                                     row.get("soal_id"), row.get("excel_row")))
        sums[str(entry["key"])] = tuple(str(row["key"]) for row in rows)
    keys = [c.key for c in counts]
    if len(set(keys)) != len(keys) or not all(_KEY.fullmatch(k) for k in keys):
        raise RubricDataError(f"{item_id}: count keys must be unique snake_case: {keys}")
    raw = item.get("formula") or {}

    def terms(value: object, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A key, ``a - b``, or a list of keys; inputs with a breakdown stand for its rows."""
        if isinstance(value, list):
            plus, minus = [str(v) for v in value], []
        elif isinstance(value, str):
            parts = [p.strip() for p in value.split(" - ")]
            plus, minus = parts[:1], parts[1:]
        else:
            raise RubricDataError(f"{item_id}.formula.{where}: cannot read {value!r}")
        expand = [k for name in plus for k in sums.get(name, (name,))]
        expand_minus = [k for name in minus for k in sums.get(name, (name,))]
        unknown = set(expand + expand_minus) - set(keys)
        if unknown:
            raise RubricDataError(f"{item_id}.formula.{where}: unknown counts {sorted(unknown)}")
        return tuple(expand), tuple(expand_minus)

    numerator, minus = terms(raw.get("numerator"), "numerator")
    if raw.get("numerator_minus"):
        extra_minus, _ = terms(raw["numerator_minus"], "numerator_minus")
        minus = minus + extra_minus
    denominator, denominator_minus = terms(raw.get("denominator"), "denominator")
    if denominator_minus or not denominator or not numerator:
        raise RubricDataError(f"{item_id}.formula: a sum divided by a sum is expected")
    zero = _dec(raw.get("if_denominator_zero", 0), f"{item_id}.formula.if_denominator_zero")
    if zero not in (0, 1):
        raise RubricDataError(f"{item_id}.formula.if_denominator_zero must be 0 or 1")
    return tuple(counts), Formula(numerator, minus, denominator, bool(raw.get("cap", False)),
                                  zero)
