"""PortalRB's master list and our 90/2021 worksheet cover each other exactly, by content.

Expected figures are stated here (127 soal = 105 items + 22 counts, the README's option values,
the formulas as the 90/2021 file writes them), never taken from the code under test.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
import yaml

from workflow.lke import portalrb
from workflow.lke.portalrb import (
    PercentMapping,
    PortalrbMapping,
    load_mapping,
    load_master,
    master_to_tree,
    parse_mapping,
    soal_ids_of,
    soal_index,
)
from workflow.lke.rubric import RubricDataError, build_rubric, load_rubric

D = Decimal
DATA = resources.files("workflow.lke") / "data"
R90 = "permenpanrb-90-2021"
RID = "lke-portalrb-2026"

JENIS = {
    "YA_TIDAK": "yes_no",
    "ABC": "abc",
    "ABCD": "abcd",
    "ABCDE": "abcde",
    "0-4": "survey_index",
}
# The README's option values (lke/README.md, confirmed by portalrb/README.md).
OPTION_VALUES = {
    "yes_no": {"Ya": D("1"), "Tidak": D("0")},
    "abc": {"A": D("1"), "B": D("0.5"), "C": D("0")},
    "abcd": {"A": D("1"), "B": D("0.67"), "C": D("0.33"), "D": D("0")},
    "abcde": {"A": D("1"), "B": D("0.75"), "C": D("0.5"), "D": D("0.25"), "E": D("0")},
}
# Which percentages may exceed 1, and their value over 0/0, as the brief decides them.
CAP = {"reform.manajemen_perubahan.komitmen_dalam_perubahan.a"}
ZERO_IS_ONE = {
    "reform.penguatan_pengawasan.penanganan_pengaduan_masyarakat.a",
    "reform.penguatan_pengawasan.laporan_harta_kekayaan.a",
    "reform.penguatan_pengawasan.laporan_harta_kekayaan.b",
    "reform.penataan_sdm.pelanggaran_disiplin_pegawai.a",
}
LHKPN = "reform.penguatan_pengawasan.laporan_harta_kekayaan.a"
PENGADUAN = "reform.penguatan_pengawasan.penanganan_pengaduan_masyarakat.a"


# --------------------------------------------------------------------------- fixtures


def _raw_master() -> dict[str, Any]:
    """The master list read here with plain json, independently of the module."""
    return json.loads((DATA / "master-soal-lkezi-2026.json").read_bytes())


def _raw_soals() -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}

    def walk(node: dict[str, Any]) -> None:
        for soal in node["soals"]:
            assert soal["id"] not in found
            found[soal["id"]] = soal
        for child in node["children"]:
            walk(child)

    for top in _raw_master()["data"]:
        walk(top)
    return found


def _yaml90() -> dict[str, Any]:
    return yaml.safe_load((DATA / f"{R90}.yaml").read_bytes())


def _items90() -> dict[str, dict[str, Any]]:
    return {
        item["id"]: item
        for component in _yaml90()["components"]
        for aspect in component["aspects"]
        for area in aspect["areas"]
        for indicator in area["indicators"]
        for item in indicator["items"]
    }


def _tree_items(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item["id"]: item
        for component in tree["components"]
        for aspect in component["aspects"]
        for area in aspect["areas"]
        for indicator in area["indicators"]
        for item in indicator["items"]
    }


def _norm(text: str) -> str:
    """Spacing, case and hyphens aside (the only differences between the two texts)."""
    text = text.lower().replace("-", " ").replace("/ ", "/")
    return re.sub(r"\s+", " ", text).strip()


def _terms(expression: str, inputs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """A 90/2021 `formula` side ("a" or "a - b") as count keys; a breakdown input is its rows."""
    by_key = {i["key"]: i for i in inputs}

    def keys(name: str) -> list[str]:
        spec = by_key[name]
        return [row["key"] for row in spec["breakdown"]] if "breakdown" in spec else [name]

    plus, _, minus = (part.strip() for part in expression.partition(" - "))
    return keys(plus), (keys(minus) if minus else [])


def _counts_keys(inputs: list[dict[str, Any]]) -> list[str]:
    return [
        key
        for spec in inputs
        for key in ([r["key"] for r in spec["breakdown"]] if "breakdown" in spec else [spec["key"]])
    ]


def _dump(tree: dict[str, Any]) -> bytes:
    """The tree as YAML: Decimal weights become plain numbers (their exact digits)."""

    class Dumper(yaml.SafeDumper):
        pass

    def decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
        tag = "tag:yaml.org,2002:int" if value == value.to_integral() else "tag:yaml.org,2002:float"
        return dumper.represent_scalar(tag, str(value))

    Dumper.add_representer(Decimal, decimal)
    return yaml.dump(tree, Dumper=Dumper, allow_unicode=True, sort_keys=False).encode()


# --------------------------------------------------------------------------- the mapping


def test_mapping_covers_each_of_the_127_soal_ids_exactly_once() -> None:
    mapping = load_mapping()
    ids = list(mapping.items.values()) + [
        s for pm in mapping.percent.values() for s in pm.counts.values()
    ]
    assert sorted(ids) == list(range(1, 128))
    assert sorted(_raw_soals()) == list(range(1, 128))
    assert _raw_master()["total_soal"] == 127


def test_mapping_covers_every_90_2021_item_exactly_once() -> None:
    mapping = load_mapping()
    items = _items90()
    assert len(items) == 113
    percent = {i for i, item in items.items() if item["answer_type"] == "percent"}
    assert set(mapping.percent) == percent
    assert set(mapping.items) == set(items) - percent
    assert len(mapping.items) == 105
    assert len(mapping.percent) == 8
    counts = sum(len(pm.counts) for pm in mapping.percent.values())
    assert counts == 22
    assert len(mapping.items) + counts == 127


def test_answer_types_agree() -> None:
    mapping, items, soals = load_mapping(), _items90(), _raw_soals()
    for item_id, soal_id in mapping.items.items():
        assert JENIS[soals[soal_id]["jenis_jawaban"]] == items[item_id]["answer_type"], item_id
    for pm in mapping.percent.values():
        for soal_id in pm.counts.values():
            assert soals[soal_id]["jenis_jawaban"] in ("Jumlah", "jumlah"), soal_id


def test_question_texts_agree() -> None:
    """Each item's question is its soal's text (for the hasil surveys: its kriteria_nilai)."""
    mapping, items, soals = load_mapping(), _items90(), _raw_soals()
    for item_id, soal_id in mapping.items.items():
        soal = soals[soal_id]
        printed = (
            soal["kriteria_nilai"] if soal["jenis_jawaban"] == "0-4" else soal["teks_pertanyaan"]
        )
        assert _norm(items[item_id]["question"]) == _norm(printed), item_id


def test_count_labels_agree() -> None:
    """Each count soal asks what its input or breakdown row is labelled with."""
    mapping, items, soals = load_mapping(), _items90(), _raw_soals()
    # PortalRB's "sudah melaporkan" rows carry extra words: 116 "Jumlah Lainnya yang sudah
    # melaporkan" is LHKPN's total, 120 "Jumlah Total yang sudah melaporkan Non LHKPN" LHKASN's.
    relabelled = {116: "jumlah lainnya yang sudah melaporkan", 120: "jumlah total yang sudah"}
    for item_id, pm in mapping.percent.items():
        labels: dict[str, str] = {}
        for spec in items[item_id]["inputs"]:
            for row in spec.get("breakdown", [spec]):
                labels[row["key"]] = row["label"]
        assert list(pm.counts) == _counts_keys(items[item_id]["inputs"]), item_id
        for key, soal_id in pm.counts.items():
            text = _norm(soals[soal_id]["teks_pertanyaan"])
            if soal_id in relabelled:
                assert text.startswith(relabelled[soal_id]) and labels[key].endswith("melaporkan")
            else:
                assert _norm(labels[key]) in text, (item_id, key, soal_id)


def test_count_soals_of_each_percentage() -> None:
    """By content, worked out from the master list (89 and 90 share a text, not a kriteria)."""
    expected = {
        "reform.manajemen_perubahan.komitmen_dalam_perubahan.a": (88, 89),
        "reform.manajemen_perubahan.komitmen_dalam_perubahan.b": (90, 91),
        "reform.penataan_sdm.pelanggaran_disiplin_pegawai.a": (102, 103, 104),
        "reform.penguatan_akuntabilitas.capaian_kinerja_unit.a": (105, 106),
        PENGADUAN: (110, 111, 112),
        LHKPN: (113, 114, 115, 116),
        "reform.penguatan_pengawasan.laporan_harta_kekayaan.b": (117, 118, 119, 120),
        "reform.pelayanan_publik.upaya_inovasi_pelayanan_publik.b": (122, 123),
    }
    assert {i: soal_ids_of(i) for i in expected} == expected
    assert soal_ids_of("pemenuhan.pelayanan_publik.pemanfaatan_teknologi_informasi.c") == (86,)
    assert soal_ids_of("pemenuhan.pelayanan_publik.pemanfaatan_teknologi_informasi.b") == (87,)
    assert soal_ids_of("hasil.birokrasi_bersih_akuntabel.ipak.a") == (125,)
    with pytest.raises(KeyError):
        soal_ids_of("reform.nothing.here.a")


def test_formulas_are_the_90_2021_files() -> None:
    mapping, items = load_mapping(), _items90()
    for item_id, pm in mapping.percent.items():
        formula, inputs = items[item_id]["formula"], items[item_id]["inputs"]
        numerator, minus = _terms(formula["numerator"], inputs)
        denominator, none = _terms(formula["denominator"], inputs)
        assert none == []
        assert (list(pm.numerator), list(pm.numerator_minus), list(pm.denominator)) == (
            numerator,
            minus,
            denominator,
        ), item_id
        assert pm.cap is (item_id in CAP), item_id
        assert pm.if_denominator_zero == (1 if item_id in ZERO_IS_ONE else 0), item_id
    disiplin = mapping.percent["reform.penataan_sdm.pelanggaran_disiplin_pegawai.a"]
    assert disiplin.numerator_minus == ("jumlah_pelanggaran_tahun_ini",)
    assert disiplin.counts["jumlah_pelanggaran_diberi_sanksi"] == 104
    assert mapping.percent[LHKPN].denominator == (
        "kepala_satuan_kerja",
        "pejabat_wajib_lhkpn",
        "lainnya",
    )


def _mapping_doc() -> dict[str, Any]:
    return yaml.safe_load((DATA / "portalrb-mapping-2026.yaml").read_bytes())


def _dup_soal(doc: dict[str, Any]) -> None:
    doc["items"]["pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.b"] = 1


def _str_soal(doc: dict[str, Any]) -> None:
    doc["items"]["pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"] = "1"


def _bool_soal(doc: dict[str, Any]) -> None:
    doc["items"]["pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"] = True


def _dup_count(doc: dict[str, Any]) -> None:
    doc["percent"][LHKPN]["counts"]["lainnya"] = 88


def _unknown_key(doc: dict[str, Any]) -> None:
    doc["percent"][LHKPN]["denominator"].append("jumlah_wajib_lapor")


def _bad_zero(doc: dict[str, Any]) -> None:
    doc["percent"][LHKPN]["if_denominator_zero"] = 2


def _bad_cap(doc: dict[str, Any]) -> None:
    doc["percent"][LHKPN]["cap"] = "yes"


def _both(doc: dict[str, Any]) -> None:
    doc["items"][LHKPN] = 200


@pytest.mark.parametrize(
    "mutate",
    [_dup_soal, _str_soal, _bool_soal, _dup_count, _unknown_key, _bad_zero, _bad_cap, _both],
)
def test_bad_mapping_is_refused(mutate) -> None:
    doc = _mapping_doc()
    assert parse_mapping(yaml.safe_dump(doc).encode()) == load_mapping()
    mutate(doc)
    with pytest.raises(RubricDataError):
        parse_mapping(yaml.safe_dump(doc).encode())


def test_loaders_are_cached() -> None:
    assert load_mapping() is load_mapping()
    assert load_master() is load_master()


def test_soal_index() -> None:
    index = soal_index(load_master())
    assert sorted(index) == list(range(1, 128))
    assert index[116]["teks_pertanyaan"] == "Jumlah Lainnya yang sudah melaporkan"
    assert index[116]["path"] == (
        "A. PENGUNGKIT",
        "II. REFORM",
        "5. PENGUATAN PENGAWASAN",
        "iii. Penyampaian Laporan Harta Kekayaan",
        "a. Penyampaian Laporan Harta Kekayaan Pejabat Negara (LHKPN)",
    )
    assert index[126]["path"] == ("B. HASIL", "I. BIROKRASI YANG BERSIH DAN AKUNTABEL")


# --------------------------------------------------------------------------- the tree


def _shape(tree: dict[str, Any]) -> list[Any]:
    """Keys and weights (Decimal) down to the indicators, and each indicator's item ids."""
    return [
        (
            c["key"],
            D(str(c["weight"])),
            [
                (
                    a["key"],
                    D(str(a["weight"])),
                    [
                        (
                            ar["key"],
                            D(str(ar["weight"])),
                            [
                                (i["key"], D(str(i["weight"])), [it["id"] for it in i["items"]])
                                for i in ar["indicators"]
                            ],
                        )
                        for ar in a["areas"]
                    ],
                )
                for a in c["aspects"]
            ],
        )
        for c in tree["components"]
    ]


def test_tree_has_the_shape_of_90_2021() -> None:
    tree = master_to_tree(load_master(), load_mapping())
    assert _shape(tree) == _shape(_yaml90())
    hasil = tree["components"][1]
    assert [a["key"] for a in hasil["aspects"]] == ["hasil"]
    assert [
        (ar["key"], [(i["key"], i["weight"]) for i in ar["indicators"]])
        for ar in hasil["aspects"][0]["areas"]
    ] == [
        ("birokrasi_bersih_akuntabel", [("ipak", D("17.5")), ("capaian_kinerja", D("5"))]),
        ("pelayanan_publik_prima", [("ipkp", D("17.5"))]),
    ]
    assert tree["meta"]["id"] == RID
    assert tree["meta"]["format"] == "portalrb-master"
    assert tree["meta"]["base"] == R90
    assert tree["meta"]["tahun"] == 2026
    for level in (tree["components"], hasil["aspects"]):
        assert all(isinstance(node["weight"], Decimal) for node in level)


def test_tree_items() -> None:
    tree = master_to_tree(load_master(), load_mapping())
    items, ours, soals = _tree_items(tree), _items90(), _raw_soals()
    assert list(items) == list(ours)  # the master's order is the regulation's (a, c, b too)
    for item_id, item in items.items():
        assert item["key"] == item_id.rsplit(".", 1)[1]
        assert item["answer_type"] == ours[item_id]["answer_type"]
        if "weight" in ours[item_id]:
            assert item["weight"] == D(str(ours[item_id]["weight"])) == D("1")
        else:
            assert "weight" not in item
        if item["answer_type"] == "percent":
            continue
        soal = soals[item["soal_id"]]
        assert item["question"] == soal["teks_pertanyaan"]
        assert item["explanation"] == soal["kriteria_nilai"]
        assert item["excel_row"] == soal["excel_baris"]
        if item["answer_type"] == "survey_index":
            assert item["scale"] == {"min": 0, "max": 4}
            assert "options" not in item
            continue
        values = {k: D(v) for k, v in item["option_values"].items()}
        assert values == OPTION_VALUES[item["answer_type"]], item_id
        assert values == {e["key"]: D(str(e["multiplier"])) for e in soal["skema_penilaian"]}
        assert item["options"] == {e["key"]: e["label"] for e in soal["skema_penilaian"]}


def test_tree_percent_items() -> None:
    items = _tree_items(master_to_tree(load_master(), load_mapping()))
    lhkpn = items[LHKPN]
    assert lhkpn["question"] == "Penyampaian Laporan Harta Kekayaan Pejabat Negara (LHKPN)"
    assert [(i["key"], i["soal_id"], i["excel_row"]) for i in lhkpn["inputs"]] == [
        ("kepala_satuan_kerja", 113, 176),
        ("pejabat_wajib_lhkpn", 114, 177),
        ("lainnya", 115, 178),
        ("jumlah_sudah_lapor", 116, 179),
    ]
    assert lhkpn["inputs"][3]["label"] == "Jumlah Lainnya yang sudah melaporkan"
    assert lhkpn["formula"] == {
        "numerator": ["jumlah_sudah_lapor"],
        "numerator_minus": [],
        "denominator": ["kepala_satuan_kerja", "pejabat_wajib_lhkpn", "lainnya"],
        "cap": False,
        "if_denominator_zero": 1,
    }
    agents = items["reform.manajemen_perubahan.komitmen_dalam_perubahan.a"]
    assert agents["question"] == (
        "Agen perubahan telah membuat perubahan yang konkret di Instansi (dalam 1 tahun)"
    )
    assert [i["soal_id"] for i in agents["inputs"]] == [88, 89]
    assert agents["formula"]["cap"] is True
    disiplin = items["reform.penataan_sdm.pelanggaran_disiplin_pegawai.a"]
    assert disiplin["question"] == "Penurunan pelanggaran disiplin pegawai"
    assert disiplin["formula"]["numerator_minus"] == ["jumlah_pelanggaran_tahun_ini"]
    assert [i["key"] for i in disiplin["inputs"]][2] == "jumlah_pelanggaran_diberi_sanksi"
    for item in items.values():
        if item["answer_type"] == "percent":
            assert "options" not in item and "soal_id" not in item


def test_tree_passes_the_rubric_checks_with_90_2021_thresholds() -> None:
    tree = master_to_tree(load_master(), load_mapping())
    rubric = build_rubric(RID, _dump(tree), (DATA / f"thresholds-{R90}.yaml").read_bytes(),
                          base=R90)
    assert rubric.id == RID
    assert rubric.item_count == 113
    assert list(rubric.pengungkit_areas.values()) == [D(8), D(7), D(10), D(10), D(15), D(10)]
    assert rubric.hasil_components == {"bersih": D("22.5"), "pelayanan": D("17.5")}
    assert rubric.hasil_inputs["ipak_index"].maximum == D(4)
    assert rubric.hasil_inputs["kinerja"].maximum == D(5)
    assert rubric.thresholds == load_rubric(R90).thresholds


def test_thresholds_of_another_regulation_are_still_refused() -> None:
    tree = master_to_tree(load_master(), load_mapping())
    wrong = b"regulation: permenpanrb-52-2014\nwbk: {total_min: 75}\nwbbm: {total_min: 85}\n"
    with pytest.raises(RubricDataError):
        build_rubric(RID, _dump(tree), wrong, base=R90)


# --------------------------------------------------------------------------- refusals


def _without_count(soal_id: int) -> PortalrbMapping:
    mapping = load_mapping()
    percent = {
        item_id: dataclasses.replace(
            pm, counts={k: s for k, s in pm.counts.items() if s != soal_id}
        )
        for item_id, pm in mapping.percent.items()
    }
    return PortalrbMapping(dict(mapping.items), percent)


@pytest.mark.parametrize("soal_id", [111, 104, 116])
def test_refuses_a_count_that_no_formula_covers(soal_id: int) -> None:
    with pytest.raises(RubricDataError, match=rf"soal {soal_id} is a count .* no formula"):
        master_to_tree(load_master(), _without_count(soal_id))


def test_refuses_a_soal_the_mapping_lacks() -> None:
    mapping = load_mapping()
    items = {i: s for i, s in mapping.items.items() if s != 42}
    with pytest.raises(RubricDataError, match="soal 42 is in the master list but not in"):
        master_to_tree(load_master(), PortalrbMapping(items, mapping.percent))


def test_refuses_a_soal_the_master_lacks() -> None:
    master = copy.deepcopy(load_master())
    hasil = master["data"][1]["children"][1]
    hasil["soals"] = [s for s in hasil["soals"] if s["id"] != 127]
    master["total_soal"] = 126
    with pytest.raises(RubricDataError, match=r"lacks: \[127\]"):
        master_to_tree(master, load_mapping())


def test_refuses_an_unknown_jenis() -> None:
    master = copy.deepcopy(load_master())
    master["data"][0]["children"][0]["children"][0]["children"][0]["soals"][0]["jenis_jawaban"] = (
        "PILIHAN_GANDA"
    )
    with pytest.raises(RubricDataError, match="soal 1: unknown jenis_jawaban 'PILIHAN_GANDA'"):
        master_to_tree(master, load_mapping())


def test_refuses_a_count_mapped_as_a_question() -> None:
    mapping = load_mapping()
    percent = dict(mapping.percent)
    percent[PENGADUAN] = dataclasses.replace(
        percent[PENGADUAN], counts={"jumlah_pengaduan_selesai": 57, "x": 110, "y": 111}
    )
    items = {i: (112 if s == 57 else s) for i, s in mapping.items.items()}
    with pytest.raises(RubricDataError):
        master_to_tree(load_master(), PortalrbMapping(items, percent))


def test_refuses_options_that_do_not_fit() -> None:
    master = copy.deepcopy(load_master())
    soal = master["data"][0]["children"][0]["children"][0]["children"][0]["soals"][1]
    soal["skema_penilaian"] = soal["skema_penilaian"][:2]
    with pytest.raises(RubricDataError, match="soal 2: options"):
        master_to_tree(master, load_mapping())


def test_master_list_weights_are_never_floats() -> None:
    master = portalrb.parse_master(b'{"data": [], "x": 0.67, "tahun": 2026}')
    assert master["x"] == D("0.67") and isinstance(master["x"], Decimal)
    tree = master_to_tree(load_master(), load_mapping())
    item = _tree_items(tree)["pemenuhan.manajemen_perubahan.pemantauan_evaluasi_pembangunan.a"]
    assert item["option_values"] == {"A": "1", "B": "0.67", "C": "0.33", "D": "0"}


def test_percent_mapping_is_frozen() -> None:
    pm = load_mapping().percent[LHKPN]
    assert isinstance(pm, PercentMapping)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pm.cap = True  # type: ignore[misc]
