"""Scoring of summary-form assessments: rounding, exact threshold boundaries, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflow.conditions import Unmet
from workflow.lke.rubric import load_rubric
from workflow.lke.scoring import (
    CODES,
    Evaluation,
    InvalidInputs,
    PredicateResult,
    evaluate,
    parse_decimal,
    quantize2,
    validate_inputs,
)

D = Decimal
R52 = "permenpanrb-52-2014"
R90 = "permenpanrb-90-2021"
AREA_KEYS = (
    "manajemen_perubahan",
    "penataan_tatalaksana",
    "penataan_sdm",
    "penguatan_akuntabilitas",
    "penguatan_pengawasan",
    "pelayanan_publik",
)
# Full marks, typed from DOMAIN.md "Rubric weights" (not read from the rubric under test).
FULL_AREAS = {
    R52: ("5", "5", "15", "10", "15", "10"),
    R90: ("8", "7", "10", "10", "15", "10"),
}
FULL_HASIL = {
    R52: {"ipak": "15", "tlhp": "5", "ipkp": "20"},
    R90: {"ipak_index": "4", "kinerja": "5", "ipkp_index": "4"},
}
# DOMAIN.md "Thresholds": every 90/2021 area at 60 % (WBK) / 75 % (WBBM) of its weight.
AREA_MIN_90 = {
    "WBK": ("4.80", "4.20", "6.00", "6.00", "9.00", "6.00"),
    "WBBM": ("6.00", "5.25", "7.50", "7.50", "11.25", "7.50"),
}


def areas_of(regulation_id: str, values: tuple[str, ...] | None = None) -> dict[str, Decimal]:
    return dict(zip(AREA_KEYS, map(D, values or FULL_AREAS[regulation_id]), strict=True))


def hasil_of(regulation_id: str, **overrides: str) -> dict[str, Decimal]:
    values = {**FULL_HASIL[regulation_id], **overrides}
    return {key: D(value) for key, value in values.items()}


def run(regulation_id: str, areas=None, **hasil: str) -> Evaluation:
    rubric = load_rubric(regulation_id)
    return evaluate(rubric, areas_of(regulation_id, areas), hasil_of(regulation_id, **hasil))


def codes(evaluation: Evaluation, predicate: str) -> list[str]:
    return [u.code for u in evaluation.predicates[predicate].unmet]


# --------------------------------------------------------------------------- rounding helpers


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("4.795", "4.80"),
        ("4.7949999", "4.79"),
        ("0.125", "0.13"),  # half-up, not banker's rounding (0.12)
        ("2.675", "2.68"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0.001", "0.00"),  # never "-0.00"
        ("15.745625", "15.75"),
        ("15.7063", "15.71"),
        ("7", "7.00"),
        ("2.5", "2.50"),
    ],
)
def test_quantize2_rounds_half_up(raw: str, shown: str) -> None:
    result = quantize2(D(raw))
    assert f"{result:.2f}" == shown
    assert str(result) == shown


@pytest.mark.parametrize("bad", [D("NaN"), D("Infinity"), 1.5, "1.5"])
def test_quantize2_rejects_non_finite(bad: object) -> None:
    with pytest.raises(ValueError):
        quantize2(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.50", D("1.50")),
        (" 12 ", D("12")),
        ("-3.25", D("-3.25")),
        ("+4", D("4")),
        (7, D("7")),
        (D("3.599"), D("3.599")),
        ("-0", D("0")),
    ],
)
def test_parse_decimal_accepts(value: object, expected: Decimal) -> None:
    result = parse_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected
    if expected == 0:
        assert not result.is_signed()


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        0.0,
        True,
        False,
        None,
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        D("NaN"),
        D("sNaN"),
        D("Infinity"),
        D("-Infinity"),
        "",
        "abc",
        "1e3",
        "1_000",
        "1,5",
        "1.",
        ".5",
        [1],
        "1" * 41,
    ],
)
def test_parse_decimal_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(value)


# --------------------------------------------------------------------------- figures


def test_full_marks_90() -> None:
    evaluation = run(R90)
    assert evaluation.as_dict() == {
        "regulation": R90,
        "areas": {
            "manajemen_perubahan": "8.00",
            "penataan_tatalaksana": "7.00",
            "penataan_sdm": "10.00",
            "penguatan_akuntabilitas": "10.00",
            "penguatan_pengawasan": "15.00",
            "pelayanan_publik": "10.00",
        },
        "pengungkit": "60.00",
        "components": {
            "pengungkit": "60.00",
            "bersih": "22.50",
            "pelayanan": "17.50",
            "hasil": "40.00",
        },
        "hasil": {"ipak": "17.50", "kinerja": "5.00", "ipkp": "17.50"},
        "total": "100.00",
        "predicates": {
            "WBK": {"eligible": True, "unmet": []},
            "WBBM": {"eligible": True, "unmet": []},
        },
    }


def test_full_marks_52() -> None:
    evaluation = run(R52)
    body = evaluation.as_dict()
    assert body["hasil"] == {"ipak": "15.00", "tlhp": "5.00", "ipkp": "20.00"}
    assert body["components"] == {
        "pengungkit": "60.00",
        "bersih": "20.00",
        "pelayanan": "20.00",
        "hasil": "40.00",
    }
    assert body["total"] == "100.00"
    assert evaluation.predicates == {
        "WBK": PredicateResult(True, ()),
        "WBBM": PredicateResult(True, ()),
    }


def test_zero_is_shown_unsigned() -> None:
    rubric = load_rubric(R52)
    zero = {key: "-0" for key in AREA_KEYS}
    evaluation = evaluate(rubric, zero, {"ipak": "0", "tlhp": "-0", "ipkp": "0"})
    body = evaluation.as_dict()
    assert body["total"] == "0.00"
    assert set(body["areas"].values()) == {"0.00"}
    assert body["hasil"]["tlhp"] == "0.00"


def test_figures_are_rounded_decimals() -> None:
    evaluation = run(R90, ("4.795", "7", "10", "10", "15", "10"), ipak_index="3.599")
    figures = [
        *evaluation.areas.values(),
        evaluation.pengungkit,
        *evaluation.hasil.values(),
        *evaluation.components.values(),
        evaluation.total,
    ]
    assert all(isinstance(f, Decimal) and f.as_tuple().exponent == -2 for f in figures)
    assert evaluation.areas["manajemen_perubahan"] == D("4.80")
    assert evaluation.hasil["ipak"] == D("15.75")
    # 4.795 + 52 = 56.795 -> 56.80; 15.745625 + 5 + 17.5 = 38.245625 -> 38.25
    assert evaluation.pengungkit == D("56.80")
    assert evaluation.components["hasil"] == D("38.25")
    assert evaluation.total == D("95.04")  # 95.040625


# --------------------------------------------------------------------------- boundaries

A90_TOTAL_WBK = ("4.8", "4.2", "6", "6", "13.49", "6")  # 40.49
A90_TOTAL_WBBM = ("6", "5.25", "7.5", "7.5", "15", "8.49")  # 49.74
HASIL90_TOTAL_WBK = {"ipak_index": "4", "kinerja": "3", "ipkp_index": "3.2"}  # 34.50
HASIL90_TOTAL_WBBM = {"ipak_index": "3.6", "kinerja": "3.75", "ipkp_index": "3.6"}  # 35.25


def _at(values: tuple[str, ...], index: int, value: str) -> tuple[str, ...]:
    return values[:index] + (value,) + values[index + 1 :]


BOUNDARIES = [
    # ---- 90/2021: total
    pytest.param(R90, "WBK", A90_TOTAL_WBK, HASIL90_TOTAL_WBK, ["total_below_minimum"],
                 id="90-WBK-total-74.99"),
    pytest.param(R90, "WBK", _at(A90_TOTAL_WBK, 4, "13.50"), HASIL90_TOTAL_WBK, [],
                 id="90-WBK-total-75.00"),
    pytest.param(R90, "WBBM", A90_TOTAL_WBBM, HASIL90_TOTAL_WBBM, ["total_below_minimum"],
                 id="90-WBBM-total-84.99"),
    pytest.param(R90, "WBBM", _at(A90_TOTAL_WBBM, 5, "8.50"), HASIL90_TOTAL_WBBM, [],
                 id="90-WBBM-total-85.00"),
    # ---- 90/2021: pengungkit
    pytest.param(R90, "WBK", ("4.8", "4.2", "6", "6", "12.99", "6"), {},
                 ["pengungkit_below_minimum"], id="90-WBK-pengungkit-39.99"),
    pytest.param(R90, "WBK", ("4.8", "4.2", "6", "6", "13.00", "6"), {}, [],
                 id="90-WBK-pengungkit-40.00"),
    pytest.param(R90, "WBBM", ("6", "5.25", "7.5", "7.5", "14.24", "7.5"), {},
                 ["pengungkit_below_minimum"], id="90-WBBM-pengungkit-47.99"),
    pytest.param(R90, "WBBM", ("6", "5.25", "7.5", "7.5", "14.25", "7.5"), {}, [],
                 id="90-WBBM-pengungkit-48.00"),
    # ---- 90/2021: IPAK index 3.59 -> 15.71, 3.60 -> 15.75
    pytest.param(R90, "WBK", None, {"ipak_index": "3.59"}, ["ipak_below_minimum"],
                 id="90-WBK-ipak-3.59"),
    pytest.param(R90, "WBK", None, {"ipak_index": "3.60"}, [], id="90-WBK-ipak-3.60"),
    pytest.param(R90, "WBBM", None, {"ipak_index": "3.59"}, ["ipak_below_minimum"],
                 id="90-WBBM-ipak-3.59"),
    pytest.param(R90, "WBBM", None, {"ipak_index": "3.60"}, [], id="90-WBBM-ipak-3.60"),
    # ---- 90/2021: capaian kinerja
    pytest.param(R90, "WBK", None, {"kinerja": "2.49"}, ["kinerja_below_minimum"],
                 id="90-WBK-kinerja-2.49"),
    pytest.param(R90, "WBK", None, {"kinerja": "2.50"}, [], id="90-WBK-kinerja-2.50"),
    pytest.param(R90, "WBBM", None, {"kinerja": "3.74"}, ["kinerja_below_minimum"],
                 id="90-WBBM-kinerja-3.74"),
    pytest.param(R90, "WBBM", None, {"kinerja": "3.75"}, [], id="90-WBBM-kinerja-3.75"),
    # ---- 90/2021: clean component (its minimum is the sum of the sub-minimums)
    pytest.param(R90, "WBK", None, {"ipak_index": "3.6", "kinerja": "2.49"},
                 ["clean_component_below_minimum", "kinerja_below_minimum"],
                 id="90-WBK-clean-18.24"),
    pytest.param(R90, "WBK", None, {"ipak_index": "3.6", "kinerja": "2.50"}, [],
                 id="90-WBK-clean-18.25"),
    pytest.param(R90, "WBBM", None, {"ipak_index": "3.6", "kinerja": "3.74"},
                 ["clean_component_below_minimum", "kinerja_below_minimum"],
                 id="90-WBBM-clean-19.49"),
    pytest.param(R90, "WBBM", None, {"ipak_index": "3.6", "kinerja": "3.75"}, [],
                 id="90-WBBM-clean-19.50"),
    # ---- 90/2021: service component (IPKP index 3.20 -> 14.00, 3.60 -> 15.75)
    pytest.param(R90, "WBK", None, {"ipkp_index": "3.1977"},
                 ["service_component_below_minimum"], id="90-WBK-service-13.99"),
    pytest.param(R90, "WBK", None, {"ipkp_index": "3.20"}, [], id="90-WBK-service-14.00"),
    pytest.param(R90, "WBBM", None, {"ipkp_index": "3.5977"},
                 ["service_component_below_minimum"], id="90-WBBM-service-15.74"),
    pytest.param(R90, "WBBM", None, {"ipkp_index": "3.60"}, [], id="90-WBBM-service-15.75"),
    # ---- 52/2014: total (no pengungkit or area minimum)
    pytest.param(R52, "WBK", ("4.99", "5", "15", "10", "0", "0"), {}, ["total_below_minimum"],
                 id="52-WBK-total-74.99"),
    pytest.param(R52, "WBK", ("5.00", "5", "15", "10", "0", "0"), {}, [],
                 id="52-WBK-total-75.00"),
    pytest.param(R52, "WBBM", ("5", "5", "15", "10", "9.99", "0"), {},
                 ["total_below_minimum"], id="52-WBBM-total-84.99"),
    pytest.param(R52, "WBBM", ("5", "5", "15", "10", "10.00", "0"), {}, [],
                 id="52-WBBM-total-85.00"),
    pytest.param(R52, "WBK", ("0", "5", "15", "10", "15", "10"), {}, [],
                 id="52-WBK-no-area-minimum"),
    pytest.param(R52, "WBBM", ("0", "5", "15", "10", "15", "10"), {}, [],
                 id="52-WBBM-no-area-minimum"),
    # ---- 52/2014: IPAK points
    pytest.param(R52, "WBK", None, {"ipak": "13.49"}, ["ipak_below_minimum"],
                 id="52-WBK-ipak-13.49"),
    pytest.param(R52, "WBK", None, {"ipak": "13.50"}, [], id="52-WBK-ipak-13.50"),
    pytest.param(R52, "WBBM", None, {"ipak": "13.49"}, ["ipak_below_minimum"],
                 id="52-WBBM-ipak-13.49"),
    pytest.param(R52, "WBBM", None, {"ipak": "13.50"}, [], id="52-WBBM-ipak-13.50"),
    # ---- 52/2014: TLHP
    pytest.param(R52, "WBK", None, {"tlhp": "3.49"}, ["tlhp_below_minimum"],
                 id="52-WBK-tlhp-3.49"),
    pytest.param(R52, "WBK", None, {"tlhp": "3.50"}, [], id="52-WBK-tlhp-3.50"),
    pytest.param(R52, "WBBM", None, {"tlhp": "3.49"}, ["tlhp_below_minimum"],
                 id="52-WBBM-tlhp-3.49"),
    pytest.param(R52, "WBBM", None, {"tlhp": "3.50"}, [], id="52-WBBM-tlhp-3.50"),
    # ---- 52/2014: clean component 18 (above the sum of the sub-minimums, 17)
    pytest.param(R52, "WBK", None, {"ipak": "14.49", "tlhp": "3.5"},
                 ["clean_component_below_minimum"], id="52-WBK-clean-17.99"),
    pytest.param(R52, "WBK", None, {"ipak": "14.50", "tlhp": "3.5"}, [],
                 id="52-WBK-clean-18.00"),
    pytest.param(R52, "WBBM", None, {"ipak": "14.49", "tlhp": "3.5"},
                 ["clean_component_below_minimum"], id="52-WBBM-clean-17.99"),
    pytest.param(R52, "WBBM", None, {"ipak": "14.50", "tlhp": "3.5"}, [],
                 id="52-WBBM-clean-18.00"),
    # ---- 52/2014: IPKP (WBBM only)
    pytest.param(R52, "WBBM", None, {"ipkp": "15.99"}, ["service_component_below_minimum"],
                 id="52-WBBM-ipkp-15.99"),
    pytest.param(R52, "WBBM", None, {"ipkp": "16"}, [], id="52-WBBM-ipkp-16.00"),
    pytest.param(R52, "WBK", None, {"ipkp": "0"}, [], id="52-WBK-no-service-minimum"),
    pytest.param(R52, "WBBM", None, {"ipkp": "0"},
                 ["total_below_minimum", "service_component_below_minimum"],
                 id="52-WBBM-ipkp-0"),
    # ---- half-up rounding decides
    pytest.param(R90, "WBK", ("4.795", "7", "10", "10", "15", "10"), {}, [],
                 id="90-WBK-area-4.795-shows-4.80"),
    pytest.param(R90, "WBK", ("4.7949", "7", "10", "10", "15", "10"), {},
                 ["area_below_minimum"], id="90-WBK-area-4.7949-shows-4.79"),
    pytest.param(R90, "WBK", None, {"ipak_index": "3.599"}, [], id="90-ipak-3.599-is-15.75"),
    pytest.param(R90, "WBK", None, {"ipak_index": "3.5988"}, ["ipak_below_minimum"],
                 id="90-ipak-3.5988-is-15.74"),
    pytest.param(R90, "WBK", None, {"ipkp_index": "3.19886"}, [],
                 id="90-ipkp-3.19886-is-14.00"),
    pytest.param(R52, "WBK", None, {"ipak": "13.495"}, [], id="52-ipak-13.495-is-13.50"),
    pytest.param(R52, "WBK", None, {"ipak": "13.4949"}, ["ipak_below_minimum"],
                 id="52-ipak-13.4949-is-13.49"),
]


@pytest.mark.parametrize(("regulation_id", "predicate", "areas", "hasil", "expected"), BOUNDARIES)
def test_boundary(
    regulation_id: str, predicate: str, areas, hasil: dict[str, str], expected: list[str]
) -> None:
    evaluation = run(regulation_id, areas, **hasil)
    result = evaluation.predicates[predicate]
    assert codes(evaluation, predicate) == expected
    assert result.eligible is (not expected)


@pytest.mark.parametrize("predicate", ["WBK", "WBBM"])
@pytest.mark.parametrize("index", range(6))
def test_area_boundary_90(predicate: str, index: int) -> None:
    minimum = D(AREA_MIN_90[predicate][index])
    key = AREA_KEYS[index]
    below = _at(FULL_AREAS[R90], index, str(minimum - D("0.01")))
    at = _at(FULL_AREAS[R90], index, str(minimum))

    failing = run(R90, below).predicates[predicate]
    assert not failing.eligible
    assert [(u.code, u.subject, u.value, u.minimum) for u in failing.unmet] == [
        ("area_below_minimum", key, minimum - D("0.01"), minimum)
    ]
    assert run(R90, at).predicates[predicate] == PredicateResult(True, ())


def test_every_failing_area_is_reported() -> None:
    evaluation = run(R90, ("0", "7", "0", "10", "15", "10"))
    unmet = evaluation.predicates["WBK"].unmet
    assert [(u.code, u.subject) for u in unmet] == [
        ("area_below_minimum", "manajemen_perubahan"),
        ("area_below_minimum", "penataan_sdm"),
    ]


def test_wbk_pass_wbbm_fail_on_same_assessment() -> None:
    evaluation = run(R90, ("6", "5.25", "7.5", "7.5", "11.25", "7.49"), kinerja="3.74")
    assert evaluation.predicates["WBK"].eligible
    assert evaluation.total == D("83.73")
    assert codes(evaluation, "WBBM") == [
        "total_below_minimum",
        "pengungkit_below_minimum",  # 44.99
        "area_below_minimum",  # pelayanan_publik 7.49 < 7.50
        "kinerja_below_minimum",
    ]


# --------------------------------------------------------------------------- unrounded sums


def test_total_sums_unrounded_parts_52() -> None:
    # every area ends in 5 in the third decimal: shown rounded up, summed unrounded
    areas = ("4.995", "4.995", "14.995", "9.995", "4.995", "0.005")
    evaluation = run(R52, areas, ipkp="15.01")
    assert [str(v) for v in evaluation.areas.values()] == [
        "5.00", "5.00", "15.00", "10.00", "5.00", "0.01",
    ]
    assert sum(evaluation.areas.values()) == D("40.01")
    assert evaluation.pengungkit == D("39.98")
    assert evaluation.components["hasil"] == D("35.01")
    assert evaluation.pengungkit + evaluation.components["hasil"] == D("74.99")
    assert sum(evaluation.areas.values()) + sum(evaluation.hasil.values()) == D("75.02")
    assert evaluation.total == D("74.99")
    assert codes(evaluation, "WBK") == ["total_below_minimum"]


def test_pengungkit_sums_unrounded_areas_90() -> None:
    areas = ("4.805", "4.205", "6.005", "6.005", "12.965", "6.005")
    evaluation = run(R90, areas)
    assert sum(evaluation.areas.values()) == D("40.02")
    assert evaluation.pengungkit == D("39.99")
    assert codes(evaluation, "WBK") == ["pengungkit_below_minimum"]


@pytest.mark.parametrize(
    ("regulation_id", "hasil", "sub", "clean"),
    [
        (R90, {"ipak_index": "3.599", "kinerja": "2.495"}, ("15.75", "2.50"), "18.24"),
        (R52, {"ipak": "13.495", "tlhp": "4.495"}, ("13.50", "4.50"), "17.99"),
    ],
)
def test_clean_component_sums_unrounded_parts(
    regulation_id: str, hasil: dict[str, str], sub: tuple[str, str], clean: str
) -> None:
    evaluation = run(regulation_id, None, **hasil)
    shown = [str(v) for v in evaluation.hasil.values()][:2]
    assert shown == list(sub)
    assert sum(map(D, sub)) > D(clean)
    assert evaluation.components["bersih"] == D(clean)
    assert codes(evaluation, "WBK") == ["clean_component_below_minimum"]


# --------------------------------------------------------------------------- unmet details


@pytest.mark.parametrize(
    ("regulation_id", "predicate", "areas", "hasil", "code", "value", "minimum"),
    [
        (R90, "WBK", A90_TOTAL_WBK, HASIL90_TOTAL_WBK, "total_below_minimum", "74.99", "75"),
        (R90, "WBBM", A90_TOTAL_WBBM, HASIL90_TOTAL_WBBM, "total_below_minimum", "84.99", "85"),
        (R90, "WBK", ("4.8", "4.2", "6", "6", "12.99", "6"), {}, "pengungkit_below_minimum",
         "39.99", "40"),
        (R90, "WBK", None, {"ipak_index": "3.59"}, "ipak_below_minimum", "15.71", "15.75"),
        (R90, "WBK", None, {"kinerja": "2.49"}, "kinerja_below_minimum", "2.49", "2.50"),
        (R90, "WBK", None, {"ipak_index": "3.6", "kinerja": "2.49"},
         "clean_component_below_minimum", "18.24", "18.25"),
        (R90, "WBK", None, {"ipkp_index": "3.1977"}, "service_component_below_minimum",
         "13.99", "14"),
        (R90, "WBBM", None, {"ipkp_index": "3.59"}, "service_component_below_minimum",
         "15.71", "15.75"),
        (R52, "WBK", None, {"tlhp": "3.49"}, "tlhp_below_minimum", "3.49", "3.5"),
        (R52, "WBK", None, {"ipak": "13.49"}, "ipak_below_minimum", "13.49", "13.5"),
        (R52, "WBK", None, {"ipak": "14.49", "tlhp": "3.5"}, "clean_component_below_minimum",
         "17.99", "18"),
        (R52, "WBBM", None, {"ipkp": "15.99"}, "service_component_below_minimum", "15.99", "16"),
    ],
)
def test_unmet_carries_code_value_minimum(
    regulation_id: str,
    predicate: str,
    areas,
    hasil: dict[str, str],
    code: str,
    value: str,
    minimum: str,
) -> None:
    evaluation = run(regulation_id, areas, **hasil)
    matching = [u for u in evaluation.predicates[predicate].unmet if u.code == code]
    assert len(matching) == 1
    unmet = matching[0]
    assert isinstance(unmet, Unmet)
    assert unmet.code in CODES
    assert unmet.value == D(value)
    assert unmet.minimum == D(minimum)
    assert unmet.subject is None
    assert f"{D(value):.2f}" in unmet.message_id and f"{D(minimum):.2f}" in unmet.message_id
    assert f"{D(value):.2f}" in unmet.message_en and f"{D(minimum):.2f}" in unmet.message_en
    assert unmet.message_id.endswith(f"untuk {predicate}")
    assert unmet.message_en.endswith(f"for {predicate}")
    assert unmet.as_dict()["value"] == f"{D(value):.2f}"
    assert unmet.as_dict()["minimum"] == f"{D(minimum):.2f}"


def test_messages_and_json_of_unmet() -> None:
    evaluation = run(R90, A90_TOTAL_WBK, **HASIL90_TOTAL_WBK)
    (unmet,) = evaluation.predicates["WBK"].unmet
    assert unmet.message_id == "Nilai total 74.99 di bawah minimum 75.00 untuk WBK"
    assert unmet.message_en == "Total score 74.99 is below the minimum 75.00 for WBK"
    body = evaluation.as_dict()
    assert body["total"] == "74.99"
    assert body["predicates"]["WBK"] == {
        "eligible": False,
        "unmet": [
            {
                "code": "total_below_minimum",
                "message": "Nilai total 74.99 di bawah minimum 75.00 untuk WBK",
                "message_en": "Total score 74.99 is below the minimum 75.00 for WBK",
                "value": "74.99",
                "minimum": "75.00",
            }
        ],
    }


def test_area_unmet_message() -> None:
    evaluation = run(R90, ("4.79", "7", "10", "10", "15", "10"))
    (unmet,) = evaluation.predicates["WBK"].unmet
    assert unmet.as_dict() == {
        "code": "area_below_minimum",
        "message": (
            "Nilai area Manajemen Perubahan 4.79 di bawah minimum 4.80 "
            "(60% dari bobot 8.00) untuk WBK"
        ),
        "message_en": (
            "Area Change Management score 4.79 is below the minimum 4.80 "
            "(60% of its weight 8.00) for WBK"
        ),
        "subject": "manajemen_perubahan",
        "value": "4.79",
        "minimum": "4.80",
    }


def test_unmet_order_is_stable() -> None:
    zero = ("0",) * 6
    evaluation = run(R90, zero, ipak_index="0", kinerja="0", ipkp_index="0")
    reported = codes(evaluation, "WBBM")
    assert reported == [
        "total_below_minimum",
        "pengungkit_below_minimum",
        *["area_below_minimum"] * 6,
        "clean_component_below_minimum",
        "ipak_below_minimum",
        "kinerja_below_minimum",
        "service_component_below_minimum",
    ]
    assert [c for c in CODES if c in reported] == list(dict.fromkeys(reported))


# --------------------------------------------------------------------------- validation


def _errors(regulation_id: str, areas: dict, hasil: dict) -> dict[str, str]:
    return validate_inputs(load_rubric(regulation_id), areas, hasil)


@pytest.mark.parametrize("regulation_id", [R52, R90])
def test_valid_inputs_have_no_errors(regulation_id: str) -> None:
    assert _errors(regulation_id, areas_of(regulation_id), hasil_of(regulation_id)) == {}
    zero_areas = {key: D(0) for key in AREA_KEYS}
    zero_hasil = {key: D(0) for key in FULL_HASIL[regulation_id]}
    assert _errors(regulation_id, zero_areas, zero_hasil) == {}
    as_text = {key: str(v) for key, v in areas_of(regulation_id).items()}
    assert _errors(regulation_id, as_text, dict(FULL_HASIL[regulation_id])) == {}


@pytest.mark.parametrize(
    ("regulation_id", "field", "value", "message"),
    [
        (R52, "areas.penataan_sdm", "15.01", "melebihi bobot 15.00 / exceeds weight 15.00"),
        (R90, "areas.penataan_sdm", "10.01", "melebihi bobot 10.00 / exceeds weight 10.00"),
        (R90, "areas.manajemen_perubahan", "8.001", "melebihi bobot 8.00 / exceeds weight 8.00"),
        (R52, "hasil.ipak", "15.01", "melebihi bobot 15.00 / exceeds weight 15.00"),
        (R52, "hasil.tlhp", "5.01", "melebihi bobot 5.00 / exceeds weight 5.00"),
        (R52, "hasil.ipkp", "20.01", "melebihi bobot 20.00 / exceeds weight 20.00"),
        (R90, "hasil.kinerja", "5.01", "melebihi bobot 5.00 / exceeds weight 5.00"),
        (
            R90,
            "hasil.ipak_index",
            "4.01",
            "melebihi nilai maksimum indeks 4.00 / exceeds the maximum index 4.00",
        ),
        (
            R90,
            "hasil.ipkp_index",
            "17.5",
            "melebihi nilai maksimum indeks 4.00 / exceeds the maximum index 4.00",
        ),
        (R90, "areas.pelayanan_publik", "-0.01", "tidak boleh negatif / must not be negative"),
        (R52, "hasil.tlhp", "-1", "tidak boleh negatif / must not be negative"),
        (R90, "hasil.ipak_index", "-0.5", "tidak boleh negatif / must not be negative"),
    ],
)
def test_out_of_range_values(regulation_id: str, field: str, value: str, message: str) -> None:
    areas = {k: str(v) for k, v in areas_of(regulation_id).items()}
    hasil = dict(FULL_HASIL[regulation_id])
    group, key = field.split(".")
    (areas if group == "areas" else hasil)[key] = value
    assert _errors(regulation_id, areas, hasil) == {field: message}


@pytest.mark.parametrize("bad", [1.5, "abc", "NaN", D("Infinity"), None, True, "1e1"])
def test_non_decimal_values(bad: object) -> None:
    areas: dict[str, object] = dict(areas_of(R90))
    areas["penataan_sdm"] = bad
    hasil: dict[str, object] = dict(hasil_of(R90))
    hasil["kinerja"] = bad
    assert _errors(R90, areas, hasil) == {
        "areas.penataan_sdm": "bukan angka desimal / not a decimal number",
        "hasil.kinerja": "bukan angka desimal / not a decimal number",
    }


def test_missing_fields() -> None:
    areas = areas_of(R90)
    del areas["pelayanan_publik"]
    assert _errors(R90, areas, {}) == {
        "areas.pelayanan_publik": "wajib diisi / required",
        "hasil.ipak_index": "wajib diisi / required",
        "hasil.kinerja": "wajib diisi / required",
        "hasil.ipkp_index": "wajib diisi / required",
    }


def test_unknown_fields() -> None:
    areas = {**areas_of(R90), "foo": D(1)}
    hasil = {**hasil_of(R90), "tlhp": D(5)}  # a 52/2014 input is unknown to 90/2021
    assert _errors(R90, areas, hasil) == {
        "areas.foo": "kolom tidak dikenal / unknown field",
        "hasil.tlhp": "kolom tidak dikenal / unknown field",
    }


def test_hasil_names_are_per_rubric() -> None:
    errors = _errors(R52, areas_of(R52), hasil_of(R90))
    assert errors == {
        "hasil.ipak": "wajib diisi / required",
        "hasil.tlhp": "wajib diisi / required",
        "hasil.ipkp": "wajib diisi / required",
        "hasil.ipak_index": "kolom tidak dikenal / unknown field",
        "hasil.kinerja": "kolom tidak dikenal / unknown field",
        "hasil.ipkp_index": "kolom tidak dikenal / unknown field",
    }


def test_non_mapping_inputs() -> None:
    errors = _errors(R52, None, [])  # type: ignore[arg-type]
    assert set(errors) == {"areas", "hasil"}


def test_evaluate_refuses_invalid_inputs() -> None:
    areas = {**areas_of(R52), "penataan_sdm": D("15.01")}
    with pytest.raises(ValueError) as info:
        evaluate(load_rubric(R52), areas, hasil_of(R52))
    assert isinstance(info.value, InvalidInputs)
    assert info.value.errors == {
        "areas.penataan_sdm": "melebihi bobot 15.00 / exceeds weight 15.00"
    }
