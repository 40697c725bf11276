"""The shared machine follows the process table for every trigger from every state."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.workflow.test_guards import FACTS
from workflow.guards import REG_52
from workflow.machine import (
    MACHINE,
    SPECS,
    STATES,
    TRANSITIONS,
    GuardsRefused,
    InvalidTrigger,
    actors,
    fire,
    mermaid,
)

EXPECTED = {  # DOMAIN.md: The process
    ("pencanangan", "start_building"): "pembangunan",
    ("pembangunan", "submit_to_tpi"): "pengusulan",
    ("pengusulan", "tpi_approve"): "reviu_tpn",
    ("pengusulan", "tpi_return"): "pembangunan",
    ("reviu_tpn", "designate"): "penetapan",
    ("reviu_tpn", "tpn_return"): "pembangunan",
    ("penetapan", "revoke"): "dicabut",
    **{(state, "withdraw"): "ditarik"
       for state in ("pencanangan", "pembangunan", "pengusulan", "reviu_tpn")},
}


class Row:
    def __init__(self, state: str) -> None:
        self.state = state


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("trigger", sorted(SPECS))
def test_every_trigger_from_every_state(state, trigger):
    row = Row(state)
    if (state, trigger) in EXPECTED:
        fire(row, trigger, FACTS)
        assert row.state == EXPECTED[(state, trigger)]
    else:
        with pytest.raises(InvalidTrigger):
            fire(row, trigger, FACTS)
        assert row.state == state


def test_a_refused_guard_leaves_the_state_and_names_the_conditions():
    row = Row("pengusulan")
    with pytest.raises(GuardsRefused) as refused:
        fire(row, "tpi_return", replace(FACTS, reason=None))
    assert [u.code for u in refused.value.unmet] == ["reason_missing"]
    assert row.state == "pengusulan"


def test_unknown_trigger_is_invalid():
    with pytest.raises(InvalidTrigger):
        fire(Row("pencanangan"), "teleport", FACTS)


def test_one_shared_machine_without_auto_transitions():
    assert set(MACHINE.events) == set(SPECS)
    assert MACHINE.models == []


def test_revoking_a_52_2014_wbk_is_also_the_inspectorates():
    revoke = SPECS["revoke"]
    assert actors(revoke, REG_52, "WBK") == ("tpn", "inspectorate")
    assert actors(revoke, REG_52, "WBBM") == ("tpn",)
    assert actors(revoke, "permenpanrb-90-2021", "WBK") == ("tpn",)


def test_mermaid_is_generated_from_the_table():
    text = mermaid("pengusulan")
    for spec in TRANSITIONS:
        for source in spec.sources:
            assert f"{source} --> {spec.dest}: {spec.trigger}" in text
    assert "class pengusulan current" in text
    assert "class" not in mermaid()
