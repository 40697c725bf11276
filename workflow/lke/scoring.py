"""Scoring of a summary-form assessment against a rubric's predicate thresholds.

An assessment in summary form is the six pengungkit area scores (points, each bounded by its
area weight) plus the hasil inputs of the rubric (``Rubric.hasil_inputs``). Rules (DOMAIN.md,
"Thresholds"):

* Decimal everywhere, never float.
* Every reported figure (area, pengungkit, sub-component, component, total) is computed from the
  UNROUNDED figures below it, then rounded half-up to two decimals (:func:`quantize2`).
* Thresholds are inclusive (>=) and compare the ROUNDED figure, which is what people see.
* Area minimum = area weight × ``area_min_fraction``.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from workflow.conditions import Unmet
from workflow.lke.rubric import PREDICATES, SUBCOMPONENT_THRESHOLDS, Rubric, Thresholds

__all__ = [
    "CODES",
    "Evaluation",
    "InvalidInputs",
    "PredicateResult",
    "evaluate",
    "evaluate_points",
    "parse_decimal",
    "quantize2",
    "validate_inputs",
]

#: Stable unmet codes, in the order they are reported.
CODES: tuple[str, ...] = (
    "total_below_minimum",
    "pengungkit_below_minimum",
    "area_below_minimum",
    "clean_component_below_minimum",
    "ipak_below_minimum",
    "tlhp_below_minimum",
    "kinerja_below_minimum",
    "service_component_below_minimum",
)

_TWO_PLACES = Decimal("0.01")
_ZERO = Decimal(0)
# Arithmetic context: wide enough that sums and index conversions of validated inputs are exact.
_CONTEXT = Context(
    prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_DECIMAL_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MAX_TEXT = 40


class InvalidInputs(ValueError):
    """:func:`evaluate` called with inputs that :func:`validate_inputs` rejects."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(f"invalid assessment inputs: {self.errors}")


# --------------------------------------------------------------------------- numbers


def quantize2(d: Decimal) -> Decimal:
    """Round half-up to two decimals (the one rounding rule); never returns ``-0.00``."""
    if not isinstance(d, Decimal) or not d.is_finite():
        raise ValueError(f"not a finite Decimal: {d!r}")
    rounded = d.quantize(_TWO_PLACES, rounding=ROUND_HALF_UP, context=_CONTEXT)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def parse_decimal(value: object) -> Decimal:
    """A finite Decimal from ``str``, ``int`` or ``Decimal``.

    Strings must be plain decimals (``"12"``, ``"-3.50"``; surrounding whitespace allowed, no
    exponent, no underscores). Rejects float, bool, NaN and Infinity with :class:`ValueError`.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_TEXT or not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError(f"not a decimal number: {value!r}")
        number = Decimal(text)
    elif isinstance(value, float):
        raise ValueError("floats are not accepted; send the number as a string")
    else:
        raise ValueError(f"not a number: {value!r}")
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number.copy_abs() if number.is_zero() else number


# --------------------------------------------------------------------------- validation


def validate_inputs(
    rubric: Rubric, areas: Mapping[str, object], hasil: Mapping[str, object]
) -> dict[str, str]:
    """Field errors of a summary-form assessment (``{"areas.penataan_sdm": "..."}``).

    Every area of the rubric and every hasil input is required; unknown keys, values that are
    not decimals, negative values and values above the weight (index maximum) are errors.
    An empty dict means the inputs are valid.
    """
    errors: dict[str, str] = {}
    area_limits = {
        key: (weight, "bobot", "weight") for key, weight in rubric.pengungkit_areas.items()
    }
    hasil_limits = {
        name: (
            spec.bounds.maximum,
            "bobot" if spec.index_max is None else "nilai maksimum indeks",
            "weight" if spec.index_max is None else "the maximum index",
        )
        for name, spec in rubric.hasil_specs.items()
    }
    for prefix, given, limits in (("areas", areas, area_limits), ("hasil", hasil, hasil_limits)):
        if not isinstance(given, Mapping):
            errors[prefix] = "harus berupa objek / must be an object"
            continue
        for key, (maximum, label_id, label_en) in limits.items():
            name = f"{prefix}.{key}"
            if key not in given:
                errors[name] = "wajib diisi / required"
                continue
            try:
                value = parse_decimal(given[key])
            except ValueError:
                errors[name] = "bukan angka desimal / not a decimal number"
                continue
            if value < 0:
                errors[name] = "tidak boleh negatif / must not be negative"
            elif value > maximum:
                errors[name] = (
                    f"melebihi {label_id} {maximum:.2f} / exceeds {label_en} {maximum:.2f}"
                )
        for key in given:
            if key not in limits:
                errors[f"{prefix}.{key}"] = "kolom tidak dikenal / unknown field"
    return errors


# --------------------------------------------------------------------------- evaluation


def _fmt(d: Decimal) -> str:
    return f"{d:.2f}"


@dataclass(frozen=True)
class PredicateResult:
    eligible: bool
    unmet: tuple[Unmet, ...]

    def as_dict(self) -> dict[str, object]:
        return {"eligible": self.eligible, "unmet": [u.as_dict() for u in self.unmet]}


@dataclass(frozen=True)
class Evaluation:
    """Rounded figures of one assessment and the verdict per predicate."""

    regulation: str
    #: area key -> rounded points
    areas: dict[str, Decimal]
    pengungkit: Decimal
    #: rounded sub-component points: 52/2014 ipak, tlhp, ipkp; 90/2021 ipak, kinerja, ipkp
    hasil: dict[str, Decimal]
    #: pengungkit, bersih (clean), pelayanan (service), hasil (bersih + pelayanan)
    components: dict[str, Decimal]
    total: Decimal
    #: "WBK" / "WBBM" -> result
    predicates: dict[str, PredicateResult]

    def as_dict(self) -> dict[str, object]:
        """The JSON contract; every figure a string with two decimals."""
        return {
            "regulation": self.regulation,
            "areas": {key: _fmt(value) for key, value in self.areas.items()},
            "pengungkit": _fmt(self.pengungkit),
            "components": {key: _fmt(value) for key, value in self.components.items()},
            "hasil": {key: _fmt(value) for key, value in self.hasil.items()},
            "total": _fmt(self.total),
            "predicates": {key: result.as_dict() for key, result in self.predicates.items()},
        }


def evaluate(
    rubric: Rubric, areas: Mapping[str, object], hasil: Mapping[str, object]
) -> Evaluation:
    """Score a valid summary-form assessment; :class:`InvalidInputs` (a ValueError) otherwise."""
    errors = validate_inputs(rubric, areas, hasil)
    if errors:
        raise InvalidInputs(errors)
    with localcontext(_CONTEXT):
        area_raw = {key: parse_decimal(areas[key]) for key in rubric.pengungkit_areas}
        sub_raw = {spec.subcomponent: spec.points(parse_decimal(hasil[name]))
                   for name, spec in rubric.hasil_specs.items()}
    return evaluate_points(rubric, area_raw, sub_raw)


def evaluate_points(
    rubric: Rubric, area_raw: Mapping[str, Decimal], sub_raw: Mapping[str, Decimal]
) -> Evaluation:
    """Round and judge UNROUNDED points: pengungkit areas and hasil sub-components.

    The summary form and the question-by-question worksheet both end here, so a figure is
    rounded and compared with its threshold in one way only.
    """
    with localcontext(_CONTEXT):
        pengungkit_raw = sum((area_raw[key] for key in rubric.pengungkit_areas), _ZERO)
        component_raw = {component: _ZERO for component in rubric.hasil_components}
        for spec in rubric.hasil_specs.values():
            component_raw[spec.component] += sub_raw[spec.subcomponent]
        hasil_raw = sum(component_raw.values(), _ZERO)
        total_raw = pengungkit_raw + hasil_raw

    rounded_areas = {key: quantize2(area_raw[key]) for key in rubric.pengungkit_areas}
    pengungkit = quantize2(pengungkit_raw)
    subcomponents = {spec.subcomponent: quantize2(sub_raw[spec.subcomponent])
                     for spec in rubric.hasil_specs.values()}
    components = {"pengungkit": pengungkit}
    components.update({key: quantize2(value) for key, value in component_raw.items()})
    components["hasil"] = quantize2(hasil_raw)
    total = quantize2(total_raw)

    predicates = {
        predicate: _judge(
            rubric,
            predicate,
            rubric.thresholds[predicate],
            rounded_areas,
            pengungkit,
            subcomponents,
            components,
            total,
        )
        for predicate in PREDICATES
    }
    return Evaluation(
        regulation=rubric.id,
        areas=rounded_areas,
        pengungkit=pengungkit,
        hasil=subcomponents,
        components=components,
        total=total,
        predicates=predicates,
    )


# --------------------------------------------------------------------------- verdicts

_AREA_LABELS: dict[str, tuple[str, str]] = {
    "manajemen_perubahan": ("Manajemen Perubahan", "Change Management"),
    "penataan_tatalaksana": ("Penataan Tatalaksana", "Business Process Arrangement"),
    "penataan_sdm": ("Penataan Sistem Manajemen SDM", "Human Resource Management System"),
    "penguatan_akuntabilitas": ("Penguatan Akuntabilitas", "Strengthening Accountability"),
    "penguatan_pengawasan": ("Penguatan Pengawasan", "Strengthening Supervision"),
    "pelayanan_publik": (
        "Peningkatan Kualitas Pelayanan Publik",
        "Improving Public Service Quality",
    ),
}

_CLEAN_LABELS: dict[str, tuple[str, str]] = {
    "permenpanrb-52-2014": (
        "komponen pemerintahan yang bersih dan bebas KKN",
        "clean, KKN-free government component",
    ),
    "permenpanrb-90-2021": (
        "komponen birokrasi yang bersih dan akuntabel",
        "clean and accountable bureaucracy component",
    ),
}

# sub-component -> (code, Indonesian label, English label)
_SUBCOMPONENT_UNMET: dict[str, tuple[str, str, str]] = {
    "ipak": (
        "ipak_below_minimum",
        "survei persepsi anti korupsi (IPAK)",
        "anti-corruption perception survey (IPAK)",
    ),
    "tlhp": (
        "tlhp_below_minimum",
        "tindak lanjut hasil pemeriksaan (TLHP)",
        "follow-up of audit findings (TLHP)",
    ),
    "kinerja": (
        "kinerja_below_minimum",
        "capaian kinerja",
        "performance achievement (capaian kinerja)",
    ),
}


def _below(
    code: str,
    label_id: str,
    label_en: str,
    value: Decimal,
    minimum: Decimal,
    predicate: str,
    subject: str | None = None,
    note_id: str = "",
    note_en: str = "",
) -> Unmet:
    return Unmet(
        code=code,
        message_id=(
            f"Nilai {label_id} {value:.2f} di bawah minimum {minimum:.2f}{note_id} "
            f"untuk {predicate}"
        ),
        message_en=(
            f"{label_en[:1].upper()}{label_en[1:]} score {value:.2f} is below the minimum "
            f"{minimum:.2f}{note_en} for {predicate}"
        ),
        subject=subject,
        value=value,
        minimum=minimum,
    )


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def _judge(
    rubric: Rubric,
    predicate: str,
    t: Thresholds,
    areas: Mapping[str, Decimal],
    pengungkit: Decimal,
    subcomponents: Mapping[str, Decimal],
    components: Mapping[str, Decimal],
    total: Decimal,
) -> PredicateResult:
    unmet: list[Unmet] = []
    if t.total_min is not None and total < t.total_min:
        unmet.append(_below("total_below_minimum", "total", "total", total, t.total_min, predicate))
    if t.pengungkit_min is not None and pengungkit < t.pengungkit_min:
        unmet.append(
            _below(
                "pengungkit_below_minimum",
                "komponen pengungkit",
                "enabler (pengungkit) component",
                pengungkit,
                t.pengungkit_min,
                predicate,
            )
        )
    if t.area_min_fraction is not None:
        for key, weight in rubric.pengungkit_areas.items():
            with localcontext(_CONTEXT):
                minimum = weight * t.area_min_fraction
            if areas[key] < minimum:
                fallback = rubric.area_names.get(key, key)
                label_id, label_en = _AREA_LABELS.get(key, (fallback, fallback))
                share = _percent(t.area_min_fraction)
                unmet.append(
                    _below(
                        "area_below_minimum",
                        f"area {label_id}",
                        f"area {label_en}",
                        areas[key],
                        minimum,
                        predicate,
                        subject=key,
                        note_id=f" ({share} dari bobot {weight:.2f})",
                        note_en=f" ({share} of its weight {weight:.2f})",
                    )
                )
    clean = components["bersih"]
    if t.hasil_bersih_bebas_kkn_min is not None and clean < t.hasil_bersih_bebas_kkn_min:
        fallback = f"komponen {rubric.component_names['bersih']}"
        label_id, label_en = _CLEAN_LABELS.get(rubric.regulation,
                                               (fallback, "clean government component"))
        unmet.append(
            _below(
                "clean_component_below_minimum",
                label_id,
                label_en,
                clean,
                t.hasil_bersih_bebas_kkn_min,
                predicate,
            )
        )
    for sub, attr in SUBCOMPONENT_THRESHOLDS.items():
        minimum = getattr(t, attr)
        if minimum is None or sub not in subcomponents:
            continue
        if subcomponents[sub] < minimum:
            code, label_id, label_en = _SUBCOMPONENT_UNMET[sub]
            unmet.append(_below(code, label_id, label_en, subcomponents[sub], minimum, predicate))
    service = components["pelayanan"]
    if t.hasil_kualitas_pelayanan_min is not None and service < t.hasil_kualitas_pelayanan_min:
        unmet.append(
            _below(
                "service_component_below_minimum",
                "komponen kualitas pelayanan publik (IPKP)",
                "public service quality component (IPKP)",
                service,
                t.hasil_kualitas_pelayanan_min,
                predicate,
            )
        )
    return PredicateResult(eligible=not unmet, unmet=tuple(unmet))
