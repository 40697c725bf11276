"""Request examples for the OpenAPI document: the README's walk-through and a 90/2021 case,
and the summary form's per-regulation shapes (the area and hasil keys of each rubric)."""

from __future__ import annotations

from typing import Any

from api.schemas import figure_schema
from workflow.lke.rubric import load_rubric

REG_52, REG_90 = "permenpanrb-52-2014", "permenpanrb-90-2021"

INSTANSI = {"name": "Kementerian Contoh", "kind": "kementerian"}
UNIT = {"instansi_id": 1, "name": "Kantor Pelayanan Contoh", "code": "KPC", "eselon": 3,
        "strategic_service": True, "rb_implemented": True, "large_resources": True}
UNIT_PATCH = {"afirmasi": True}
USER_PATCH = {
    "deactivate": {"summary": "deactivate a user (their tokens stop working)",
                   "value": {"active": False}},
    "set_role": {"summary": "a new role with its scope",
                 "value": {"role": "coordinator", "units": [3], "instansi_id": 1}},
}
DUTY_SUBMIT = {"report": "Rencana aksi perbaikan telah disusun dan ditetapkan.",
               "evidence": ["https://dokumen.instansi.go.id/zi/rencana-aksi.pdf"]}
DUTY_ACKNOWLEDGE = {"note": "Laporan diterima."}
DUTY_WAIVE = {"reason": "Unit kerja digabung dengan unit lain."}
OPEN_CASE = {
    "wbk_52_2014": {"summary": "a WBK case under PermenPANRB 52/2014",
                    "value": {"target": "WBK", "year": 2026, "regulation": REG_52}},
    "wbk_90_2021": {"summary": "a WBK case under PermenPANRB 90/2021 (PortalRB worksheet)",
                    "value": {"target": "WBK", "year": 2026, "regulation": REG_90,
                              "rubric": "lke-portalrb-2026"}},
}
DECLARATION = {
    "staff_total": 40, "pakta_signed": 38, "head_signed": True,
    "commitment_statement": "Kami berkomitmen membangun Zona Integritas.",
    "team": ["Ketua Tim", "Sekretaris", "Anggota"], "expected_version": 1,
}
TRANSITION = {
    "start_building": {"summary": "the coordinator starts building (pembangunan)",
                       "value": {"trigger": "start_building", "expected_version": 2}},
    "tpi_return": {"summary": "the inspectorate returns the case, with a reason",
                   "value": {"trigger": "tpi_return", "expected_version": 9,
                             "reason": "Bukti pada area penataan SDM belum lengkap."}},
}
PROPOSAL_90 = {
    "bpk_opinion": "WTP", "sakip_instansi": "BB", "indeks_rb": "70", "spip_level": 3,
    "tlhp_percent": "100", "lhkpn_percent": "100", "lhkasn_percent": "100",
    "sakip_unit": "A", "expected_version": 5,
}
ANSWER = {"answer": "Ya", "note": "SK tim kerja terlampir",
          "evidence_links": ["https://dokumen.instansi.go.id/zi/sk-tim.pdf"],
          "expected_version": 4}
ANSWERS = {"expected_version": 4, "items": [
    {"item_id": "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a", "answer": "Ya",
     "note": "SK tim kerja terlampir",
     "evidence_links": ["https://dokumen.instansi.go.id/zi/sk-tim.pdf"]}]}
SUMMARY_FIGURES = {
    REG_52: {"areas": {"manajemen_perubahan": "4.50", "penataan_tatalaksana": "4.50",
                       "penataan_sdm": "13", "penguatan_akuntabilitas": "9",
                       "penguatan_pengawasan": "13", "pelayanan_publik": "9"},
             "hasil": {"ipak": "14", "tlhp": "4.5", "ipkp": "18"}},
    REG_90: {"areas": {"manajemen_perubahan": "7", "penataan_tatalaksana": "6.5",
                       "penataan_sdm": "9", "penguatan_akuntabilitas": "9",
                       "penguatan_pengawasan": "13", "pelayanan_publik": "9"},
             "hasil": {"ipak_index": "3.6", "kinerja": "4.5", "ipkp_index": "3.5"}},
}


def summary_examples(**extra: Any) -> dict[str, Any]:
    return {regulation.replace("permenpanrb-", "r").replace("-", "_"): {
        "summary": f"the summary form under {regulation}", "value": {**figures, **extra}}
        for regulation, figures in SUMMARY_FIGURES.items()}


def _figure(maximum: Any) -> dict[str, Any]:
    return {**figure_schema(minimum=0, maximum=float(maximum)), "example": str(maximum),
            "description": f"0 to {maximum}; a decimal string, or a JSON number"}


def summary_components() -> dict[str, dict[str, Any]]:
    """``Summary<regulation>`` (every area and hasil key of the rubric, with bounds) and
    ``Assessment<regulation>`` (the same entered on a case: a draft may leave keys out)."""
    components = {}
    for regulation in SUMMARY_FIGURES:
        rubric = load_rubric(regulation)
        areas = {key: _figure(top) for key, top in rubric.pengungkit_areas.items()}
        hasil = {key: _figure(bounds.maximum) for key, bounds in rubric.hasil_inputs.items()}

        def part(properties: dict[str, Any], required: bool) -> dict[str, Any]:
            return {"type": "object", "properties": properties,
                    **({"required": list(properties)} if required else {}),
                    "additionalProperties": False}

        components[summary_name(regulation)] = {
            "type": "object", "required": ["areas", "hasil"],
            "description": f"The summary form under {regulation}",
            "properties": {"areas": part(areas, True), "hasil": part(hasil, True)},
            "additionalProperties": False}
        components[assessment_name(regulation)] = {
            "type": "object", "required": ["areas", "hasil", "final", "expected_version"],
            "description": f"A summary assessment entered on a {regulation} case; a draft "
                           "(final: false) may leave keys out, a final one has them all",
            "properties": {
                "areas": part(areas, False), "hasil": part(hasil, False),
                "final": {"type": "boolean"},
                "expected_version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
            "additionalProperties": False}
    return components


def summary_name(regulation: str) -> str:
    return "Summary" + "".join(part.capitalize() for part in regulation.split("-"))


def assessment_name(regulation: str) -> str:
    return "Assessment" + summary_name(regulation)[len("Summary"):]


def summary_body(entered: bool = False) -> dict[str, Any]:
    """The request body of the summary form: one of the per-regulation shapes (``entered``:
    with ``final`` and ``expected_version``, as on a case)."""
    name = assessment_name if entered else summary_name
    return {"requestBody": {"content": {"application/json": {"schema": {"oneOf": [
        {"$ref": f"#/components/schemas/{name(regulation)}"}
        for regulation in SUMMARY_FIGURES]}}}}}
