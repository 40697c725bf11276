"""Guards: pure functions from the facts of a case to the conditions it does not meet.

Each guard returns every unmet condition (never just the first), so a refused transition can
say exactly what is missing. DOMAIN.md: The process, Proposal conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from workflow.conditions import Unmet

REG_52 = "permenpanrb-52-2014"
REG_90 = "permenpanrb-90-2021"
ELIGIBLE_ESELON = (1, 2, 3)


@dataclass(frozen=True)
class UnitFacts:
    eselon: int
    strategic_service: bool
    rb_implemented: bool
    large_resources: bool
    holds_wbk: bool


@dataclass(frozen=True)
class DeclarationFacts:
    staff_total: int
    pakta_signed: int
    head_signed: bool
    commitment_statement: str
    team: tuple[str, ...]


@dataclass(frozen=True)
class AssessmentFacts:
    """An assessment as guards see it: is it final, what is missing, what each predicate lacks."""

    final: bool
    missing: tuple[str, ...] = ()
    unmet_by_predicate: Mapping[str, tuple[Unmet, ...]] = field(default_factory=dict)
    #: "worksheet" (question by question) or "summary" (area figures only)
    source: str = "worksheet"
    unanswered: tuple[str, ...] = ()
    without_evidence: tuple[str, ...] = ()
    flagged: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseFacts:
    regulation: str
    target: str
    today: date
    unit: UnitFacts
    declaration: DeclarationFacts | None = None
    assessments: Mapping[str, AssessmentFacts] = field(default_factory=dict)
    building_since: date | None = None
    proposal: Mapping[str, Any] | None = None
    proposal_deadline: date | None = None
    pakta_coverage_min: Decimal = Decimal("0.5")
    reason: str | None = None


Guard = Callable[[CaseFacts], list[Unmet]]


@cache
def proposal_rules() -> dict[str, Any]:
    path = Path(__file__).parent / "data" / "proposal-conditions.yaml"
    rules: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return rules


def unit_eligible(facts: CaseFacts) -> list[Unmet]:
    """Seed eligibility: eselon I–III, strategic service, RB implemented, sizeable resources;
    WBBM only for a unit that holds WBK."""
    unit, unmet = facts.unit, []
    if unit.eselon not in ELIGIBLE_ESELON:
        unmet.append(Unmet("unit_eselon_not_eligible",
                           f"Unit eselon {unit.eselon}; yang dapat diusulkan eselon I–III",
                           f"Unit is eselon {unit.eselon}; only eselon I–III may be proposed"))
    if not unit.strategic_service:
        unmet.append(Unmet("unit_not_strategic_service",
                           "Unit tidak menyelenggarakan fungsi pelayanan strategis",
                           "Unit does not provide a strategic service"))
    if not unit.rb_implemented:
        unmet.append(Unmet("unit_rb_not_implemented",
                           "Program Reformasi Birokrasi belum dilaksanakan dengan baik",
                           "Bureaucratic reform programmes are not implemented well"))
    if not unit.large_resources:
        unmet.append(Unmet("unit_resources_not_large",
                           "Unit tidak mengelola sumber daya yang cukup besar",
                           "Unit does not manage sizeable resources"))
    if facts.target == "WBBM" and not unit.holds_wbk:
        unmet.append(wbk_not_held())
    return unmet


def wbk_not_held() -> Unmet:
    return Unmet("wbk_not_held", "WBBM hanya untuk unit yang telah berpredikat WBK",
                 "WBBM is only for a unit that holds the WBK predicate")


def pakta_signed(facts: CaseFacts) -> list[Unmet]:
    """The head signed the Pakta Integritas and more than the coverage share of staff did."""
    decl = facts.declaration
    if decl is None:
        return [Unmet("declaration_missing", "Data pencanangan belum diisi",
                      "The declaration (pencanangan) has not been entered")]
    unmet = []
    if not decl.head_signed:
        unmet.append(Unmet("head_pakta_not_signed",
                           "Pimpinan unit belum menandatangani Pakta Integritas",
                           "The head of the unit has not signed the Pakta Integritas"))
    share = (Decimal(decl.pakta_signed) / Decimal(decl.staff_total) * 100
             if decl.staff_total > 0 else Decimal(0))
    minimum = facts.pakta_coverage_min * 100
    if share <= minimum:
        unmet.append(Unmet("pakta_coverage_insufficient",
                           f"Pakta Integritas ditandatangani {share:.2f}% pegawai; "
                           f"harus lebih dari {minimum:.2f}%",
                           f"Pakta Integritas signed by {share:.2f}% of staff; "
                           f"more than {minimum:.2f}% required",
                           value=share, minimum=minimum))
    return unmet


def commitment_recorded(facts: CaseFacts) -> list[Unmet]:
    decl = facts.declaration
    if decl is not None and decl.commitment_statement.strip():
        return []
    return [Unmet("commitment_statement_missing", "Pernyataan komitmen belum dicatat",
                  "The commitment statement has not been recorded")]


def team_formed(facts: CaseFacts) -> list[Unmet]:
    decl = facts.declaration
    if decl is not None and any(name.strip() for name in decl.team):
        return []
    return [Unmet("zi_team_missing", "Tim Zona Integritas belum dibentuk",
                  "The Zona Integritas team has not been formed")]


def declaration_holds(facts: CaseFacts) -> list[Unmet]:
    """What start_building checked of the pencanangan still holds at submit_to_tpi: the
    declaration stays editable while building, so a later edit (0 signatories, no team)
    must not slip through to the proposal."""
    return pakta_signed(facts) + commitment_recorded(facts) + team_formed(facts)


def _listed(items: tuple[str, ...], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")


def _assessment_complete(facts: CaseFacts, kind: str, label: str,
                         summary_allowed: bool = False) -> list[Unmet]:
    """Issue 6: the worksheet answered question by question (evidence where required, no
    question still flagged); the summary form only where it is allowed (TPN)."""
    found = facts.assessments.get(kind)
    if found is None:
        return [Unmet(f"{kind}_assessment_missing", f"Penilaian {label} belum diisi",
                      f"The {label} assessment has not been entered")]
    unmet = []
    if found.source == "summary" and not summary_allowed:
        return [Unmet(f"{kind}_worksheet_required",
                      f"Penilaian {label} harus diisi per pertanyaan (lembar kerja)",
                      f"The {label} assessment must be answered question by question")]
    if found.unanswered:
        unmet.append(Unmet(f"{kind}_questions_unanswered",
                           f"Pertanyaan {label} belum dijawab: {_listed(found.unanswered)}",
                           f"{label} questions unanswered: {_listed(found.unanswered)}",
                           items=found.unanswered))
    if found.without_evidence:
        unmet.append(Unmet(f"{kind}_evidence_missing",
                           f"Bukti dukung belum ada: {_listed(found.without_evidence)}",
                           f"Evidence missing: {_listed(found.without_evidence)}",
                           items=found.without_evidence))
    if found.flagged:
        unmet.append(Unmet(f"{kind}_questions_flagged",
                           f"Pertanyaan masih ditandai perlu perbaikan: {_listed(found.flagged)}",
                           f"Questions still flagged for revision: {_listed(found.flagged)}",
                           items=found.flagged))
    if found.missing:
        fields = ", ".join(found.missing)
        unmet.append(Unmet(f"{kind}_assessment_incomplete",
                           f"Penilaian {label} belum lengkap: {fields}",
                           f"The {label} assessment is incomplete: {fields}"))
    if not found.final:
        unmet.append(Unmet(f"{kind}_assessment_not_final",
                           f"Penilaian {label} belum final",
                           f"The {label} assessment is not final"))
    return unmet


def _assessment_meets_thresholds(facts: CaseFacts, kind: str, label: str,
                                 summary_allowed: bool = False) -> list[Unmet]:
    unmet = _assessment_complete(facts, kind, label, summary_allowed)
    if unmet:
        return unmet
    return list(facts.assessments[kind].unmet_by_predicate.get(facts.target, ()))


def self_assessment_complete(facts: CaseFacts) -> list[Unmet]:
    """Every question of the unit's worksheet answered, with evidence where required."""
    return _assessment_complete(facts, "self", "mandiri")


def built_one_year(facts: CaseFacts) -> list[Unmet]:
    """90/2021: the unit has been building its Zona Integritas for at least a year."""
    if facts.regulation != REG_90:
        return []
    days_min = int(proposal_rules()[REG_90]["unit"]["building_days_min"])
    days = (facts.today - facts.building_since).days if facts.building_since else 0
    if days >= days_min:
        return []
    return [Unmet("building_period_too_short",
                  f"Pembangunan baru {days} hari; minimal {days_min} hari",
                  f"Building for {days} days; at least {days_min} days required",
                  value=Decimal(days), minimum=Decimal(days_min))]


def tpi_assessment_meets_thresholds(facts: CaseFacts) -> list[Unmet]:
    """The TPI worksheet is complete and meets every threshold of the target predicate."""
    return _assessment_meets_thresholds(facts, "tpi", "TPI")


def tpn_assessment_meets_thresholds(facts: CaseFacts) -> list[Unmet]:
    """The TPN worksheet, or its final summary, meets every threshold (TPN overrides TPI)."""
    return _assessment_meets_thresholds(facts, "tpn", "TPN", summary_allowed=True)


def _grade_at_least(grade: str | None, minimum: str) -> bool:
    grades = proposal_rules()["sakip_grades"]
    return grade in grades and grades.index(grade) >= grades.index(minimum)


def proposal_conditions_met(facts: CaseFacts) -> list[Unmet]:
    """90/2021 as amended by 5/2024: the instansi's and the unit's proposal conditions."""
    if facts.regulation != REG_90:
        return []
    if not facts.proposal:
        return [Unmet("proposal_conditions_missing", "Data syarat pengusulan belum diisi",
                      "The proposal conditions have not been entered")]
    rules, p, target = proposal_rules()[REG_90], facts.proposal, facts.target
    inst, unit = rules["instansi"], rules["unit"]
    unmet = []
    if p.get("bpk_opinion") not in inst["bpk_opinion"]:
        unmet.append(Unmet("bpk_opinion_not_wtp", "Opini BPK atas instansi bukan WTP",
                           "The instansi's BPK audit opinion is not WTP"))
    for key, minimum, code, label in (
        ("sakip_instansi", inst["sakip_instansi_min"][target], "sakip_instansi_below_minimum",
         "SAKIP instansi"),
        ("sakip_unit", unit["sakip_unit_min"][target], "sakip_unit_below_minimum", "SAKIP unit"),
    ):
        if not _grade_at_least(p.get(key), minimum):
            unmet.append(Unmet(code, f"Nilai {label} {p.get(key)} di bawah minimum {minimum}",
                               f"{label} grade {p.get(key)} is below the minimum {minimum}"))
    for key, minimum, code, label in (
        ("indeks_rb", inst["indeks_rb_min"]["value"], "indeks_rb_below_minimum", "Indeks RB"),
        ("spip_level", inst["spip_level_min"], "spip_below_minimum", "Maturitas SPIP"),
        ("tlhp_percent", unit["tlhp_percent_min"], "tlhp_not_complete", "Penyelesaian TLHP (%)"),
        ("lhkpn_percent", unit["lhkpn_percent_min"], "lhkpn_not_complete", "Kepatuhan LHKPN (%)"),
        ("lhkasn_percent", unit["lhkasn_percent_min"], "lhkasn_not_complete",
         "Kepatuhan LHKASN (%)"),
    ):
        value = Decimal(str(p[key])) if p.get(key) is not None else Decimal(0)
        if value < Decimal(str(minimum)):
            unmet.append(Unmet(code, f"{label} {value} di bawah minimum {minimum}",
                               f"{label} {value} is below the minimum {minimum}",
                               value=value, minimum=Decimal(str(minimum))))
    return unmet


def before_proposal_deadline(facts: CaseFacts) -> list[Unmet]:
    """90/2021: TPI approves on or before the year's proposal deadline (31 May, configurable)."""
    if facts.regulation != REG_90 or facts.proposal_deadline is None:
        return []
    if facts.today <= facts.proposal_deadline:
        return []
    deadline = facts.proposal_deadline.isoformat()
    return [Unmet("proposal_deadline_passed",
                  f"Batas waktu pengusulan {deadline} telah lewat",
                  f"The proposal deadline {deadline} has passed")]


def reason_given(facts: CaseFacts) -> list[Unmet]:
    if facts.reason and facts.reason.strip():
        return []
    return [Unmet("reason_missing", "Alasan wajib diisi", "A reason is required")]
