"""Each guard passes on good facts and names its unmet condition on bad ones (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from workflow import guards
from workflow.conditions import Unmet
from workflow.guards import (
    REG_52,
    REG_90,
    AssessmentFacts,
    CaseFacts,
    DeclarationFacts,
    UnitFacts,
)

GOOD_UNIT = UnitFacts(eselon=3, strategic_service=True, rb_implemented=True,
                      large_resources=True, holds_wbk=False)
GOOD_DECL = DeclarationFacts(staff_total=10, pakta_signed=6, head_signed=True,
                             commitment_statement="Kami berkomitmen", team=("Ketua",))
GOOD_PROPOSAL = {"bpk_opinion": "WTP", "sakip_instansi": "BB", "indeks_rb": "70",
                 "spip_level": 3, "tlhp_percent": "100", "lhkpn_percent": "100",
                 "lhkasn_percent": "100", "sakip_unit": "BB"}
FINAL_OK = AssessmentFacts(final=True)
FACTS = CaseFacts(
    regulation=REG_90, target="WBK", today=date(2027, 5, 31), unit=GOOD_UNIT,
    declaration=GOOD_DECL, assessments={"self": FINAL_OK, "tpi": FINAL_OK, "tpn": FINAL_OK},
    building_since=date(2026, 5, 31), proposal=GOOD_PROPOSAL,
    proposal_deadline=date(2027, 5, 31), reason="alasan",
)
ALL_GUARDS = [guards.unit_eligible, guards.pakta_signed, guards.commitment_recorded,
              guards.team_formed, guards.self_assessment_complete, guards.built_one_year,
              guards.tpi_assessment_meets_thresholds, guards.tpn_assessment_meets_thresholds,
              guards.proposal_conditions_met, guards.before_proposal_deadline,
              guards.reason_given]


def codes(unmet: list[Unmet]) -> list[str]:
    return [u.code for u in unmet]


@pytest.mark.parametrize("guard", ALL_GUARDS, ids=lambda g: g.__name__)
def test_every_guard_passes_on_good_facts(guard):
    assert guard(FACTS) == []


@pytest.mark.parametrize("field, value, code", [
    ("eselon", 4, "unit_eselon_not_eligible"),
    ("strategic_service", False, "unit_not_strategic_service"),
    ("rb_implemented", False, "unit_rb_not_implemented"),
    ("large_resources", False, "unit_resources_not_large"),
])
def test_unit_eligibility_names_each_failing_fact(field, value, code):
    facts = replace(FACTS, unit=replace(GOOD_UNIT, **{field: value}))
    assert codes(guards.unit_eligible(facts)) == [code]


def test_wbbm_needs_a_held_wbk():
    facts = replace(FACTS, target="WBBM")
    assert codes(guards.unit_eligible(facts)) == ["wbk_not_held"]
    held = replace(facts, unit=replace(GOOD_UNIT, holds_wbk=True))
    assert guards.unit_eligible(held) == []


def test_every_unmet_eligibility_fact_is_reported_at_once():
    bad = UnitFacts(eselon=4, strategic_service=False, rb_implemented=False,
                    large_resources=False, holds_wbk=False)
    assert len(guards.unit_eligible(replace(FACTS, unit=bad, target="WBBM"))) == 5


@pytest.mark.parametrize("signed, ok", [(5, False), (6, True), (0, False), (10, True)])
def test_pakta_coverage_must_be_more_than_half(signed, ok):
    facts = replace(FACTS, declaration=replace(GOOD_DECL, pakta_signed=signed))
    unmet = guards.pakta_signed(facts)
    assert (unmet == []) is ok
    if not ok:
        assert unmet[0].code == "pakta_coverage_insufficient"
        assert unmet[0].minimum == Decimal("50.0")
        assert unmet[0].value == Decimal(signed) * 10


def test_pakta_needs_the_heads_signature_and_a_declaration():
    unsigned = replace(FACTS, declaration=replace(GOOD_DECL, head_signed=False))
    assert codes(guards.pakta_signed(unsigned)) == ["head_pakta_not_signed"]
    assert codes(guards.pakta_signed(replace(FACTS, declaration=None))) == [
        "declaration_missing"]


def test_pakta_coverage_threshold_is_configurable():
    facts = replace(FACTS, pakta_coverage_min=Decimal("0.8"))
    assert codes(guards.pakta_signed(facts)) == ["pakta_coverage_insufficient"]


def test_commitment_and_team():
    blank = replace(FACTS, declaration=replace(GOOD_DECL, commitment_statement="  ", team=()))
    assert codes(guards.commitment_recorded(blank)) == ["commitment_statement_missing"]
    assert codes(guards.team_formed(blank)) == ["zi_team_missing"]
    assert codes(guards.team_formed(replace(FACTS, declaration=None))) == ["zi_team_missing"]


@pytest.mark.parametrize("assessment, expected", [
    (None, ["self_assessment_missing"]),
    (AssessmentFacts(final=False), ["self_assessment_not_final"]),
    (AssessmentFacts(final=False, missing=("areas.penataan_sdm",)),
     ["self_assessment_incomplete", "self_assessment_not_final"]),
])
def test_self_assessment_complete(assessment, expected):
    assessments = {} if assessment is None else {"self": assessment}
    assert codes(guards.self_assessment_complete(replace(FACTS, assessments=assessments))) == (
        expected)


@pytest.mark.parametrize("days, ok", [(364, False), (365, True)])
def test_90_2021_requires_a_year_of_building(days, ok):
    facts = replace(FACTS, building_since=date.fromordinal(FACTS.today.toordinal() - days))
    assert (guards.built_one_year(facts) == []) is ok
    assert guards.built_one_year(replace(facts, regulation=REG_52)) == []


def test_thresholds_of_the_target_predicate_decide():
    low = Unmet("total_below_minimum", "x", "x", value=Decimal("80"), minimum=Decimal("85"))
    tpi = AssessmentFacts(final=True, unmet_by_predicate={"WBK": (), "WBBM": (low,)})
    facts = replace(FACTS, assessments={"tpi": tpi, "tpn": tpi})
    assert guards.tpi_assessment_meets_thresholds(facts) == []
    wbbm = replace(facts, target="WBBM")
    assert guards.tpi_assessment_meets_thresholds(wbbm) == [low]
    assert guards.tpn_assessment_meets_thresholds(wbbm) == [low]
    assert codes(guards.tpn_assessment_meets_thresholds(replace(FACTS, assessments={}))) == [
        "tpn_assessment_missing"]
    draft = replace(FACTS, assessments={"tpi": AssessmentFacts(final=False)})
    assert codes(guards.tpi_assessment_meets_thresholds(draft)) == ["tpi_assessment_not_final"]


@pytest.mark.parametrize("key, value, code", [
    ("bpk_opinion", "WDP", "bpk_opinion_not_wtp"),
    ("sakip_instansi", "CC", "sakip_instansi_below_minimum"),
    ("sakip_unit", "C", "sakip_unit_below_minimum"),
    ("indeks_rb", "59.99", "indeks_rb_below_minimum"),
    ("spip_level", 2, "spip_below_minimum"),
    ("tlhp_percent", "99.99", "tlhp_not_complete"),
    ("lhkpn_percent", "99", "lhkpn_not_complete"),
    ("lhkasn_percent", "0", "lhkasn_not_complete"),
])
def test_each_proposal_condition(key, value, code):
    facts = replace(FACTS, proposal={**GOOD_PROPOSAL, key: value})
    assert codes(guards.proposal_conditions_met(facts)) == [code]


def test_wbbm_proposal_needs_bb_sakip():
    facts = replace(FACTS, target="WBBM", proposal={**GOOD_PROPOSAL, "sakip_instansi": "B",
                                                     "sakip_unit": "B"})
    assert codes(guards.proposal_conditions_met(facts)) == [
        "sakip_instansi_below_minimum", "sakip_unit_below_minimum"]


def test_proposal_conditions_apply_to_90_2021_only():
    assert codes(guards.proposal_conditions_met(replace(FACTS, proposal=None))) == [
        "proposal_conditions_missing"]
    assert guards.proposal_conditions_met(replace(FACTS, regulation=REG_52, proposal=None)) == []


def test_proposal_deadline_is_inclusive():
    late = replace(FACTS, today=date(2027, 6, 1))
    assert codes(guards.before_proposal_deadline(late)) == ["proposal_deadline_passed"]
    assert guards.before_proposal_deadline(replace(late, regulation=REG_52)) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reason_required(reason):
    assert codes(guards.reason_given(replace(FACTS, reason=reason))) == ["reason_missing"]


@pytest.mark.parametrize("guard", ALL_GUARDS, ids=lambda g: g.__name__)
def test_messages_are_given_in_both_languages(guard):
    bad = CaseFacts(regulation=REG_90, target="WBBM", today=date(2027, 6, 1),
                    unit=UnitFacts(4, False, False, False, False))
    for unmet in guard(bad):
        assert unmet.message_id and unmet.message_en and unmet.message_id != unmet.message_en
