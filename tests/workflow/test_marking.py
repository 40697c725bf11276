"""Marking question by question, with figures worked out by hand (README: The worksheet)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from workflow.lke.catalog import builtin_document, compile_version
from workflow.lke.marking import Answer, AnswerError, mark, normalise, value_of

V90 = compile_version(builtin_document("permenpanrb-90-2021"))
V52 = compile_version(builtin_document("permenpanrb-52-2014"))
Q90 = V90.worksheet.questions
DISIPLIN = "reform.penataan_sdm.pelanggaran_disiplin_pegawai.a"
AGEN = "reform.manajemen_perubahan.komitmen_dalam_perubahan.a"
LHKPN = "reform.penguatan_pengawasan.laporan_harta_kekayaan.a"
IPAK = "hasil.birokrasi_bersih_akuntabel.ipak.a"


def test_count_rules_at_their_edges():
    d = Q90[DISIPLIN]
    counts = {"jumlah_pelanggaran_tahun_sebelumnya": 10, "jumlah_pelanggaran_tahun_ini": 4,
              "jumlah_pelanggaran_diberi_sanksi": 4}
    assert value_of(d, normalise(d, counts=counts)) == D("0.6")  # (10 - 4) / 10
    rose = {**counts, "jumlah_pelanggaran_tahun_ini": 12}
    assert value_of(d, normalise(d, counts=rose)) == 0  # negative ratio counts 0
    none = {**counts, "jumlah_pelanggaran_tahun_sebelumnya": 0, "jumlah_pelanggaran_tahun_ini": 0}
    assert value_of(d, normalise(d, counts=none)) == 1  # none last year, none this year
    a = Q90[AGEN]
    many = {"jumlah_agen_perubahan": 2, "jumlah_perubahan_dibuat": 5}
    assert value_of(a, normalise(a, counts=many)) == 1  # capped: one agent, several changes
    zero = {"jumlah_agen_perubahan": 0, "jumlah_perubahan_dibuat": 0}
    assert value_of(a, normalise(a, counts=zero)) == 0
    h = Q90[LHKPN]
    keys = [c.key for c in h.counts]
    assert len(keys) == 4
    over = dict(zip(keys, [1, 1, 1, 4], strict=True))  # 4 reported of 3 obliged
    with pytest.raises(AnswerError) as err:
        normalise(h, counts=over)
    assert err.value.field == f"counts.{keys[3]}"
    ok = dict(zip(keys, [1, 2, 1, 3], strict=True))
    assert value_of(h, normalise(h, counts=ok)) == D(3) / D(4)


@pytest.mark.parametrize("counts, field", [
    ({"jumlah_agen_perubahan": -1, "jumlah_perubahan_dibuat": 1}, "counts.jumlah_agen_perubahan"),
    ({"jumlah_agen_perubahan": D("1.5"), "jumlah_perubahan_dibuat": 1},
     "counts.jumlah_agen_perubahan"),
    ({"jumlah_agen_perubahan": True, "jumlah_perubahan_dibuat": 1},
     "counts.jumlah_agen_perubahan"),
    ({"jumlah_agen_perubahan": 1}, "counts.jumlah_perubahan_dibuat"),
    ({"jumlah_agen_perubahan": 1, "jumlah_perubahan_dibuat": 1, "x": 1}, "counts.x"),
])
def test_bad_counts_name_the_field(counts, field):
    with pytest.raises(AnswerError) as err:
        normalise(Q90[AGEN], counts=counts)
    assert err.value.field == field


@pytest.mark.parametrize("given, ok", [
    ("0", True), ("4", True), ("3.25", True), (D("3.6"), True), ("4.01", False),
    ("-0.01", False), ("3.255", False), ("tiga", False), (True, False)])
def test_survey_index_edges(given, ok):
    if ok:
        assert normalise(Q90[IPAK], answer=given).answer is not None
    else:
        with pytest.raises(AnswerError):
            normalise(Q90[IPAK], answer=given)


def test_options_are_the_questions_own():
    yes_no = next(q for q in Q90.values() if q.answer_type == "yes_no")
    assert value_of(yes_no, normalise(yes_no, answer="Ya")) == 1
    for wrong in ("ya", "A", 1):
        with pytest.raises(AnswerError):
            normalise(yes_no, answer=wrong)
    abcd = next(q for q in Q90.values() if q.answer_type == "abcd")
    assert value_of(abcd, normalise(abcd, answer="B")) == D("0.67")


def test_a_52_2014_worksheet_marked_by_hand():
    # Every pengungkit statement "Ya" but one, worked by hand:
    # Manajemen Perubahan (5) has 4 indicators of 1.25 each; penyusunan_tim_kerja has 2
    # statements; answering one of them "Tidak" gives 1.25 × 1/2 = 0.625 for it, so the
    # area is 5 - 0.625 = 4.375 -> 4.38. Hasil: IPAK 3.2 -> 3.2/4 × 15 = 12; TLHP 9 of 10
    # -> 4.5; IPKP 3.6 -> 18. Total = 60 - 0.625 + 12 + 4.5 + 18 = 93.875 -> 93.88.
    answers = {}
    for q in V52.worksheet.questions.values():
        if q.answer_type == "yes_no":
            answers[q.id] = Answer("Ya")
    answers["pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a"] = Answer("Tidak")
    answers["hasil.pemerintahan_bersih_bebas_kkn.ipak.a"] = Answer("3.20")
    answers["hasil.pemerintahan_bersih_bebas_kkn.tlhp.a"] = Answer(
        counts={"jumlah_temuan": 10, "jumlah_temuan_ditindaklanjuti": 9})
    answers["hasil.peningkatan_kualitas_pelayanan_publik.ipkp.a"] = Answer("3.60")
    marks = mark(V52.rubric, V52.worksheet, answers)
    assert marks.unanswered == ()
    e = marks.evaluation
    assert e.areas["manajemen_perubahan"] == D("4.38")
    assert (e.hasil["ipak"], e.hasil["tlhp"], e.hasil["ipkp"]) == (D("12.00"), D("4.50"),
                                                                  D("18.00"))
    assert e.total == D("93.88")
    # clean component 12 + 4.5 = 16.5 < 18, and IPAK 12 < 13.5: both named, with figures
    assert [(u.code, u.value) for u in e.predicates["WBK"].unmet] == [
        ("clean_component_below_minimum", D("16.50")), ("ipak_below_minimum", D("12.00"))]


def test_unanswered_questions_count_zero_and_are_listed():
    marks = mark(V90.rubric, V90.worksheet, {})
    assert marks.evaluation.total == 0
    assert len(marks.unanswered) == 113
