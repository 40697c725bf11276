"""A fully answered 90/2021 worksheet, scored over HTTP and checked against figures worked
by hand from the rubric (``shared/lke/permenpanrb-90-2021.yaml``) and the README's marking
rules, not from the code's output.

The answers: every option question gets its best option (value 1), except those below; the
deductions are worked out one by one (indicator weight x mean of its questions' values):

pemenuhan
  manajemen_perubahan.penyusunan_tim_kerja (0.5): a Ya 1, b B 0.5 -> 0.5 x 0.75 = 0.375,
      loss 0.125
  manajemen_perubahan.pemantauan_evaluasi_pembangunan (1.0): a A 1, b B 0.67, c C 0.33
      -> 1.0 x 2/3 = 0.6666..., loss 0.3333...
  penataan_tatalaksana.spbe (2.0): a-d all C 0 -> 0, loss 2.0
  penataan_sdm.penetapan_kinerja_individu (2.0): a A 1, b A 1, c C (A-E) 0.5, d Tidak 0
      -> 2.0 x 2.5/4 = 1.25, loss 0.75
reform
  manajemen_perubahan.komitmen_dalam_perubahan (2.0):
      a 15 changes by 10 agents = 1.5, capped at 1; b 6 of 15 changes integrated = 0.4
      -> 2.0 x 0.7 = 1.4, loss 0.6
  penataan_sdm.pelanggaran_disiplin_pegawai (2.0): (8 last year - 2 this year) / 8 = 0.75
      -> 1.5, loss 0.5
  penguatan_akuntabilitas.capaian_kinerja_unit (2.0): 9 of 12 targets = 0.75 -> 1.5, loss 0.5
  penguatan_pengawasan.penanganan_pengaduan_masyarakat (3.0): 0 complaints, 0 settled: the
      formula's if_denominator_zero 1 -> 3.0, no loss
  penguatan_pengawasan.laporan_harta_kekayaan (2.0; items a, b weigh 1.0 each):
      a 10 reported of 1 + 4 + 5 = 10 -> 1; b 15 of 3 + 5 + 12 = 20 -> 0.75
      -> 2.0 x (1 + 0.75) / 2 = 1.75, loss 0.25
  pelayanan_publik.upaya_inovasi_pelayanan_publik (2.5): a A 1; b 2 of 8 services = 0.25
      -> 2.5 x 0.625 = 1.5625, loss 0.9375

Areas (pemenuhan + reform weights: 8, 7, 10, 10, 15, 10):
  manajemen_perubahan      8 - 0.125 - 0.3333... - 0.6 = 6.941666... -> 6.94
  penataan_tatalaksana     7 - 2                        = 5          -> 5.00
  penataan_sdm            10 - 0.75 - 0.5               = 8.75       -> 8.75
  penguatan_akuntabilitas 10 - 0.5                      = 9.5        -> 9.50
  penguatan_pengawasan    15 - 0 - 0.25                 = 14.75      -> 14.75
  pelayanan_publik        10 - 0.9375                   = 9.0625     -> 9.06
  pengungkit = 60 - 5.995833... = 54.004166... -> 54.00 (summed before rounding)
Hasil:
  IPAK index 3.60 -> 3.60 / 4 x 17.5 = 15.75; capaian kinerja B (A-E) 0.75 x 5 = 3.75
  bersih = 15.75 + 3.75 = 19.50; IPKP index 3.20 -> 3.20 / 4 x 17.5 = 14.00 = pelayanan
  hasil = 33.50; total = 54.004166... + 33.50 = 87.504166... -> 87.50
Predicates (thresholds-permenpanrb-90-2021.yaml, inclusive):
  WBK: total 87.50 >= 75, pengungkit 54.00 >= 40, every area >= 60% of its weight (the
  lowest share: tatalaksana 5.00 >= 4.20), bersih 19.50 >= 18.25, IPAK 15.75 >= 15.75,
  capaian 3.75 >= 2.50, pelayanan 14.00 >= 14.00 -> eligible.
  WBBM: total 87.50 >= 85 and pengungkit 54.00 >= 48 hold, but tatalaksana 5.00 < 0.75 x 7
  = 5.25, and pelayanan 14.00 < 15.75 -> not eligible, exactly these two unmet.
"""

from __future__ import annotations

from tests.api.helpers import (
    REG_90,
    best_answer,
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_declaration,
)

P = "pemenuhan."
R = "reform."
ANSWERS = {
    P + "manajemen_perubahan.penyusunan_tim_kerja.b": "B",
    P + "manajemen_perubahan.pemantauan_evaluasi_pembangunan.b": "B",
    P + "manajemen_perubahan.pemantauan_evaluasi_pembangunan.c": "C",
    **{P + f"penataan_tatalaksana.spbe.{key}": "C" for key in "abcd"},
    P + "penataan_sdm.penetapan_kinerja_individu.c": "C",
    P + "penataan_sdm.penetapan_kinerja_individu.d": "Tidak",
    "hasil.birokrasi_bersih_akuntabel.ipak.a": "3.60",
    "hasil.birokrasi_bersih_akuntabel.capaian_kinerja.a": "B",
    "hasil.pelayanan_publik_prima.ipkp.a": "3.20",
}
COUNTS = {
    R + "manajemen_perubahan.komitmen_dalam_perubahan.a":
        {"jumlah_agen_perubahan": 10, "jumlah_perubahan_dibuat": 15},
    R + "manajemen_perubahan.komitmen_dalam_perubahan.b":
        {"jumlah_perubahan_dibuat": 15, "jumlah_perubahan_terintegrasi": 6},
    R + "penataan_sdm.pelanggaran_disiplin_pegawai.a":
        {"jumlah_pelanggaran_tahun_sebelumnya": 8, "jumlah_pelanggaran_tahun_ini": 2,
         "jumlah_pelanggaran_diberi_sanksi": 2},
    R + "penguatan_akuntabilitas.capaian_kinerja_unit.a":
        {"jumlah_sasaran_kinerja": 12, "jumlah_sasaran_tercapai_100": 9},
    R + "penguatan_pengawasan.penanganan_pengaduan_masyarakat.a":
        {"jumlah_pengaduan_harus_ditindaklanjuti": 0, "jumlah_pengaduan_sedang_diproses": 0,
         "jumlah_pengaduan_selesai": 0},
    R + "penguatan_pengawasan.laporan_harta_kekayaan.a":
        {"kepala_satuan_kerja": 1, "pejabat_wajib_lhkpn": 4, "lainnya": 5,
         "jumlah_sudah_lapor": 10},
    R + "penguatan_pengawasan.laporan_harta_kekayaan.b":
        {"pejabat_administrator": 3, "pejabat_pengawas": 5, "fungsional_pelaksana": 12,
         "jumlah_sudah_lapor": 15},
    R + "pelayanan_publik.upaya_inovasi_pelayanan_publik.b":
        {"jumlah_layanan_terdata": 8, "jumlah_layanan_dipermudah": 2},
}


def _answer(question):
    if question["id"] in COUNTS:
        return {"item_id": question["id"], "counts": COUNTS[question["id"]]}
    if question["id"] in ANSWERS:
        return {"item_id": question["id"], "answer": ANSWERS[question["id"]]}
    assert question["answer_type"] not in ("percent", "survey_index"), question["id"]
    return best_answer(question)


def test_a_full_90_2021_worksheet_scores_as_worked_by_hand(client, world):
    case = open_case(client, world, regulation=REG_90)
    put_declaration(client, world, case)
    case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                "coordinator").json
    filled = fill_worksheet(client, world, case, "self", "coordinator", _answer)
    assert filled.status_code == 200, filled.json
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                       headers=world.auth("coordinator")).json
    assert len(sheet["questions"]) == 113 and sheet["complete"] is True
    evaluation = sheet["evaluation"]
    assert evaluation["areas"] == {
        "manajemen_perubahan": "6.94", "penataan_tatalaksana": "5.00", "penataan_sdm": "8.75",
        "penguatan_akuntabilitas": "9.50", "penguatan_pengawasan": "14.75",
        "pelayanan_publik": "9.06"}
    assert evaluation["pengungkit"] == "54.00"
    assert evaluation["hasil"] == {"ipak": "15.75", "kinerja": "3.75", "ipkp": "14.00"}
    assert (evaluation["components"]["bersih"], evaluation["components"]["pelayanan"],
            evaluation["components"]["hasil"]) == ("19.50", "14.00", "33.50")
    assert evaluation["total"] == "87.50"
    assert evaluation["predicates"]["WBK"] == {"eligible": True, "unmet": []}
    wbbm = evaluation["predicates"]["WBBM"]
    assert wbbm["eligible"] is False
    assert [(u.get("subject"), u["value"], u["minimum"]) for u in wbbm["unmet"]] == [
        ("penataan_tatalaksana", "5.00", "5.25"), (None, "14.00", "15.75")]
    assert wbbm["unmet"][0]["code"] == "area_below_minimum"
    values = {q["id"]: q["value"] for q in sheet["questions"]}
    assert values[P + "manajemen_perubahan.pemantauan_evaluasi_pembangunan.b"] == "0.6700"
    assert values[R + "manajemen_perubahan.komitmen_dalam_perubahan.a"] == "1.0000"
    assert values[R + "penataan_sdm.pelanggaran_disiplin_pegawai.a"] == "0.7500"
    assert values[R + "penguatan_pengawasan.penanganan_pengaduan_masyarakat.a"] == "1.0000"
