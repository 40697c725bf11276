"""The rubric loader: both versions load, weights and thresholds are those of DOMAIN.md."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from importlib import resources

import pytest
import yaml

from workflow.lke.rubric import (
    RUBRIC_IDS,
    Bounds,
    Rubric,
    RubricDataError,
    Thresholds,
    UnknownRubric,
    build_rubric,
    load_rubric,
)

D = Decimal
R52 = "permenpanrb-52-2014"
R90 = "permenpanrb-90-2021"
DATA = resources.files("workflow.lke") / "data"


def _raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_rubric_ids() -> None:
    assert RUBRIC_IDS == (R52, R90)


@pytest.mark.parametrize("regulation_id", RUBRIC_IDS)
def test_loads_and_is_cached(regulation_id: str) -> None:
    rubric = load_rubric(regulation_id)
    assert isinstance(rubric, Rubric)
    assert rubric.id == regulation_id
    assert rubric.title
    assert load_rubric(regulation_id) is rubric
    assert rubric.tree["meta"]["id"] == regulation_id


@pytest.mark.parametrize("regulation_id", ["permenpanrb-5-2024", "", "PERMENPANRB-90-2021"])
def test_unknown_rubric(regulation_id: str) -> None:
    with pytest.raises(UnknownRubric) as info:
        load_rubric(regulation_id)
    assert isinstance(info.value, LookupError)
    assert info.value.regulation_id == regulation_id


@pytest.mark.parametrize(
    ("regulation_id", "weights"),
    [
        (R52, [5, 5, 15, 10, 15, 10]),
        (R90, [8, 7, 10, 10, 15, 10]),
    ],
)
def test_pengungkit_area_weights(regulation_id: str, weights: list[int]) -> None:
    rubric = load_rubric(regulation_id)
    assert list(rubric.pengungkit_areas) == [
        "manajemen_perubahan",
        "penataan_tatalaksana",
        "penataan_sdm",
        "penguatan_akuntabilitas",
        "penguatan_pengawasan",
        "pelayanan_publik",
    ]
    assert list(rubric.pengungkit_areas.values()) == [D(w) for w in weights]
    assert all(isinstance(w, Decimal) for w in rubric.pengungkit_areas.values())
    assert sum(rubric.pengungkit_areas.values()) == D(60) == rubric.pengungkit_weight


def test_90_area_totals_match_meta() -> None:
    rubric = load_rubric(R90)
    meta = rubric.tree["meta"]["area_totals_pengungkit"]
    assert rubric.pengungkit_areas == {k: D(str(v)) for k, v in meta.items()}


@pytest.mark.parametrize(
    ("regulation_id", "inputs", "components", "points"),
    [
        (
            R52,
            {"ipak": (0, 15), "tlhp": (0, 5), "ipkp": (0, 20)},
            {"bersih": 20, "pelayanan": 20},
            {"ipak": 15, "tlhp": 5, "ipkp": 20},
        ),
        (
            R90,
            {"ipak_index": (0, 4), "kinerja": (0, 5), "ipkp_index": (0, 4)},
            {"bersih": D("22.5"), "pelayanan": D("17.5")},
            {"ipak": D("17.5"), "kinerja": 5, "ipkp": D("17.5")},
        ),
    ],
)
def test_hasil_inputs(regulation_id: str, inputs: dict, components: dict, points: dict) -> None:
    rubric = load_rubric(regulation_id)
    assert rubric.hasil_inputs == {k: Bounds(D(lo), D(hi)) for k, (lo, hi) in inputs.items()}
    assert rubric.hasil_components == {k: D(v) for k, v in components.items()}
    assert sum(rubric.hasil_components.values()) == D(40) == rubric.hasil_weight
    maxima = {
        spec.subcomponent: spec.points(rubric.hasil_inputs[name].maximum)
        for name, spec in rubric.hasil_specs.items()
    }
    assert maxima == {k: D(v) for k, v in points.items()}
    assert sum(maxima.values()) == D(40)


def test_90_index_converts_to_points() -> None:
    spec = load_rubric(R90).hasil_specs["ipak_index"]
    assert spec.points(D("3.60")) == D("15.75")
    assert spec.points(D("3.20")) == D("14.00")
    assert spec.points(D("3.599")) == D("15.745625")


@pytest.mark.parametrize(("regulation_id", "count"), [(R52, 76), (R90, 113)])
def test_item_count(regulation_id: str, count: int) -> None:
    assert load_rubric(regulation_id).item_count == count


@pytest.mark.parametrize("regulation_id", RUBRIC_IDS)
def test_content_sha256(regulation_id: str) -> None:
    expected = hashlib.sha256(_raw(f"{regulation_id}.yaml")).hexdigest()
    assert load_rubric(regulation_id).content_sha256 == expected


def test_thresholds_sha256() -> None:
    expected = hashlib.sha256(_raw(f"thresholds-{R90}.yaml")).hexdigest()
    assert load_rubric(R90).thresholds_sha256 == expected
    assert load_rubric(R52).thresholds_sha256 is None


N = None


# criterion order: total, pengungkit, area fraction, clean, ipak, tlhp, kinerja, service
@pytest.mark.parametrize(
    ("regulation_id", "predicate", "row"),
    [
        (R52, "WBK", ("75", N, N, "18", "13.5", "3.5", N, N)),
        (R52, "WBBM", ("85", N, N, "18", "13.5", "3.5", N, "16")),
        (R90, "WBK", ("75", "40", "0.60", "18.25", "15.75", N, "2.50", "14.00")),
        (R90, "WBBM", ("85", "48", "0.75", "19.50", "15.75", N, "3.75", "15.75")),
    ],
)
def test_thresholds_match_domain_table(regulation_id: str, predicate: str, row: tuple) -> None:
    thresholds = load_rubric(regulation_id).thresholds
    assert set(thresholds) == {"WBK", "WBBM"}
    expected = Thresholds(*(None if v is None else D(v) for v in row))
    assert thresholds[predicate] == expected
    for value in vars(thresholds[predicate]).values():
        assert value is None or isinstance(value, Decimal)


def test_90_thresholds_file_cites_domain() -> None:
    text = _raw(f"thresholds-{R90}.yaml").decode()
    assert 'DOMAIN.md, section "Thresholds"' in text
    assert "Lampiran II" in text
    block = yaml.safe_load(text)
    assert block["regulation"] == R90
    assert set(block) == {"regulation", "source", "wbk", "wbbm"}


def test_90_rubric_file_has_no_thresholds() -> None:
    assert "thresholds" not in load_rubric(R90).tree["meta"]


# --------------------------------------------------------------------------- data checks


def _mutated_90(mutate) -> bytes:
    tree = yaml.safe_load(_raw(f"{R90}.yaml"))
    mutate(tree)
    return yaml.safe_dump(tree, allow_unicode=True).encode()


def _thr90() -> bytes:
    return _raw(f"thresholds-{R90}.yaml")


def test_build_rubric_roundtrip() -> None:
    rubric = build_rubric(R90, _mutated_90(lambda tree: None), _thr90())
    assert rubric.pengungkit_areas == load_rubric(R90).pengungkit_areas


def _set_area_total(tree: dict) -> None:
    tree["meta"]["area_totals_pengungkit"]["penataan_sdm"] = 11.0


def _set_area_weight(tree: dict) -> None:
    tree["components"][0]["aspects"][0]["areas"][0]["weight"] = 4.5


def _set_hasil_weight(tree: dict) -> None:
    tree["components"][1]["aspects"][0]["areas"][0]["indicators"][0]["weight"] = 18.0


def _drop_scale(tree: dict) -> None:
    del tree["components"][1]["aspects"][0]["areas"][0]["indicators"][0]["items"][0]["scale"]


@pytest.mark.parametrize(
    "mutate", [_set_area_total, _set_area_weight, _set_hasil_weight, _drop_scale]
)
def test_inconsistent_rubric_is_rejected(mutate) -> None:
    with pytest.raises(RubricDataError):
        build_rubric(R90, _mutated_90(mutate), _thr90())


@pytest.mark.parametrize(
    "thresholds",
    [
        None,
        b"wbk: {total_min: 75}\n",
        b"wbk: {total_min: 75}\nwbbm: {total_min: 85, unknown_min: 1}\n",
        b"wbk: {total_min: 75}\nwbbm: {total_min: 85, tlhp_min: 3.5}\n",
        b"wbk: {total_min: true}\nwbbm: {total_min: 85}\n",
        b"wbk: {area_min_fraction: 60}\nwbbm: {total_min: 85}\n",
        b"regulation: permenpanrb-52-2014\nwbk: {total_min: 75}\nwbbm: {total_min: 85}\n",
    ],
)
def test_bad_thresholds_are_rejected(thresholds: bytes | None) -> None:
    with pytest.raises(RubricDataError):
        build_rubric(R90, _raw(f"{R90}.yaml"), thresholds)


def test_thresholds_in_both_places_are_rejected() -> None:
    with pytest.raises(RubricDataError):
        build_rubric(R52, _raw(f"{R52}.yaml"), b"wbk: {total_min: 75}\nwbbm: {total_min: 85}\n")
