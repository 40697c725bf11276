"""Answers in PortalRB's terms, and the signed links evidence files travel as (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from workflow.lke.catalog import builtin_document, compile_version
from workflow.lke.portalrb_body import (
    Given,
    ProposedUnit,
    answer_entries,
    encode,
    kategori,
    missing_soal,
    unit_list,
)
from workflow.lke.signed_links import LinkRefused, sign, verify

V90 = compile_version(builtin_document("permenpanrb-90-2021"))
V52 = compile_version(builtin_document("permenpanrb-52-2014"))
VRB = compile_version(builtin_document("lke-portalrb-2026"))
ALL_SOAL = set(range(1, 128))
# LHKPN: its counts are soal 113-116 (three printed breakdown rows and those who reported).
LHKPN = "reform.penguatan_pengawasan.laporan_harta_kekayaan.a"
TIM_A = "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"
KEY = "k" * 32
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def by_soal(entries):
    return {entry["soal_id"]: entry for entry in entries}


def test_kategori_names_the_affirmative_units():
    assert kategori("WBK", False) == "WBK"
    assert kategori("WBK", True) == "WBK-AFIRMASI"
    assert kategori("WBBM", True) == "WBBM"
    body = unit_list(2026, [ProposedUnit("U1", "Unit Satu", "WBK", True)])
    assert body == {"tahun": 2026, "units": [
        {"id": "U1", "nama": "Unit Satu", "kategori": "WBK-AFIRMASI", "afirmasi": True}]}


@pytest.mark.parametrize("version", [V90, VRB], ids=["90-2021", "portalrb-master"])
def test_an_empty_worksheet_gives_every_question_once_with_nulls(version):
    entries = answer_entries(version.worksheet, {}, {}, {})
    assert [e["soal_id"] for e in entries] == sorted(ALL_SOAL)
    assert all(set(e) == {"soal_id", "jawaban_unit", "jawaban_tpi", "catatan_unit",
                          "bukti_dukung_unit", "catatan_tpi"} for e in entries)
    assert all(value is None for e in entries for key, value in e.items() if key != "soal_id")


def test_counts_become_one_question_each_carrying_the_items_note_and_evidence():
    question = V90.worksheet.questions[LHKPN]
    counts = {c.key: n for n, c in enumerate(question.counts, start=3)}
    entries = by_soal(answer_entries(
        V90.worksheet, {LHKPN: Given(counts=counts, note="dari e-LHKPN")},
        {LHKPN: Given(counts={**counts, question.counts[0].key: 99}, note="")},
        {LHKPN: ["https://a.example/1", "https://a.example/2"]}))
    soal = [c.soal_id for c in question.counts]
    assert soal == [113, 114, 115, 116]
    assert [entries[s]["jawaban_unit"] for s in soal] == ["3", "4", "5", "6"]
    assert [entries[s]["jawaban_tpi"] for s in soal] == ["99", "4", "5", "6"]
    assert {entries[s]["catatan_unit"] for s in soal} == {"dari e-LHKPN"}
    assert {entries[s]["catatan_tpi"] for s in soal} == {None}
    assert {entries[s]["bukti_dukung_unit"] for s in soal} == {
        "https://a.example/1;https://a.example/2"}


def test_options_and_indexes_are_written_as_portalrb_writes_them():
    ipak = next(q for q in V90.worksheet.questions.values() if q.answer_type == "survey_index")
    entries = by_soal(answer_entries(
        V90.worksheet, {TIM_A: Given("Tidak", note="belum"), ipak.id: Given("3.25")},
        {TIM_A: Given("Ya")}, {}))
    assert entries[1] == {"soal_id": 1, "jawaban_unit": "Tidak", "jawaban_tpi": "Ya",
                          "catatan_unit": "belum", "bukti_dukung_unit": None,
                          "catatan_tpi": None}
    assert entries[ipak.soal_id]["jawaban_unit"] == "3.25"


def test_a_rubric_without_portalrb_ids_is_known_as_such():
    assert missing_soal(V90.worksheet, ALL_SOAL) == []
    assert missing_soal(VRB.worksheet, ALL_SOAL) == []
    assert missing_soal(V52.worksheet, ALL_SOAL) == sorted(ALL_SOAL)


def test_the_bytes_served_are_fixed_by_the_body():
    body = {"unit_id": "U1", "nama_unit": "Unit Ü", "tahun": 2026, "answers": []}
    assert encode(body) == encode(json.loads(encode(body)))
    assert encode(body).decode("utf-8").startswith('{"unit_id":"U1","nama_unit":"Unit Ü"')


def test_a_signed_link_opens_until_it_expires():
    token = sign(KEY, 7, "ab" * 32, NOW, days=30)
    opened = verify(KEY, token, NOW + timedelta(days=29, hours=23))
    assert (opened.evidence_id, opened.sha256) == (7, "ab" * 32)
    with pytest.raises(LinkRefused) as expired:
        verify(KEY, token, NOW + timedelta(days=30))
    assert expired.value.code == "link_expired"


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-6] + ("A" if t[-6] != "A" else "B") + t[-5:],  # a signature character
    # another evidence id under this link's signature
    lambda t: t.replace(t.split(".")[-2], sign(KEY, 8, "ab" * 32, NOW, 30).split(".")[-2]),
    lambda t: "x" + t,
    lambda t: "",
])
def test_an_altered_link_is_refused(tamper):
    token = sign(KEY, 7, "ab" * 32, NOW, days=30)
    with pytest.raises(LinkRefused) as refused:
        verify(KEY, tamper(token), NOW)
    assert refused.value.code == "link_invalid"


def test_a_link_signed_with_another_key_is_refused():
    with pytest.raises(LinkRefused):
        verify(KEY, sign("other" * 8, 7, "ab" * 32, NOW, 30), NOW)
