"""The designation process as data, run by one shared ``transitions.Machine``.

DOMAIN.md: The process. The table below is the single definition: the machine, the guards
the services evaluate, the roles allowed to fire a trigger and the Mermaid diagram all come
from it. The machine keeps no model: it is fired on any object with a ``state`` attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from transitions import Machine, MachineError

from workflow import guards
from workflow.conditions import Unmet
from workflow.guards import REG_52, CaseFacts, Guard

STATES = (
    "pencanangan",
    "pembangunan",
    "pengusulan",
    "reviu_tpn",
    "penetapan",
    "dicabut",
    "ditarik",
)
INITIAL_STATE = "pencanangan"
WITHDRAWABLE = ("pencanangan", "pembangunan", "pengusulan", "reviu_tpn")


@dataclass(frozen=True)
class TransitionSpec:
    """One row of the process table. ``relies_on`` names the assessment a decision uses."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    actors: tuple[str, ...]
    guards: tuple[Guard, ...]
    relies_on: str | None = None


TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec(
        "start_building", ("pencanangan",), "pembangunan", ("coordinator",),
        (guards.unit_eligible, guards.pakta_signed, guards.commitment_recorded,
         guards.team_formed),
    ),
    TransitionSpec(
        "submit_to_tpi", ("pembangunan",), "pengusulan", ("coordinator",),
        (guards.declaration_holds, guards.self_assessment_complete, guards.built_one_year),
        relies_on="self",
    ),
    TransitionSpec(
        "tpi_approve", ("pengusulan",), "reviu_tpn", ("inspectorate",),
        (guards.tpi_assessment_meets_thresholds, guards.proposal_conditions_met,
         guards.before_proposal_deadline),
        relies_on="tpi",
    ),
    TransitionSpec("tpi_return", ("pengusulan",), "pembangunan", ("inspectorate",),
                   (guards.reason_given,)),
    TransitionSpec(
        "designate", ("reviu_tpn",), "penetapan", ("tpn",),
        (guards.tpn_assessment_meets_thresholds,), relies_on="tpn",
    ),
    TransitionSpec("tpn_return", ("reviu_tpn",), "pembangunan", ("tpn",), (guards.reason_given,)),
    TransitionSpec("revoke", ("penetapan",), "dicabut", ("tpn",), (guards.reason_given,)),
    TransitionSpec("withdraw", WITHDRAWABLE, "ditarik", ("admin", "inspectorate"),
                   (guards.reason_given,)),
)
SPECS = {spec.trigger: spec for spec in TRANSITIONS}


def _no_unmet(spec: TransitionSpec) -> object:
    def condition(facts: CaseFacts) -> bool:
        return not unmet_conditions(spec, facts)

    condition.__name__ = f"{spec.trigger}_guards"
    return condition


MACHINE = Machine(
    model=None,
    states=list(STATES),
    initial=None,
    auto_transitions=False,
    transitions=[
        {"trigger": spec.trigger, "source": list(spec.sources), "dest": spec.dest,
         "conditions": [_no_unmet(spec)]}
        for spec in TRANSITIONS
    ],
)


class InvalidTrigger(Exception):
    """The trigger does not exist, or cannot leave the case's current state."""

    def __init__(self, trigger: str, state: str) -> None:
        super().__init__(f"{trigger} from {state}")
        self.trigger, self.state = trigger, state


class GuardsRefused(Exception):
    def __init__(self, unmet: list[Unmet]) -> None:
        super().__init__(", ".join(u.code for u in unmet))
        self.unmet = unmet


def actors(spec: TransitionSpec, regulation: str, target: str) -> tuple[str, ...]:
    """Who may fire a trigger. 52/2014: the inspectorate revokes a WBK it designated."""
    if spec.trigger == "revoke" and regulation == REG_52 and target == "WBK":
        return (*spec.actors, "inspectorate")
    return spec.actors


def unmet_conditions(spec: TransitionSpec, facts: CaseFacts) -> list[Unmet]:
    return [unmet for guard in spec.guards for unmet in guard(facts)]


def triggers_from(state: str) -> list[TransitionSpec]:
    return [spec for spec in TRANSITIONS if state in spec.sources]


class HasState(Protocol):
    state: str


def fire(case: HasState, trigger: str, facts: CaseFacts) -> None:
    """Move ``case.state`` through the shared machine, or raise why it cannot move."""
    state = case.state
    if trigger not in MACHINE.events:
        raise InvalidTrigger(trigger, state)
    try:
        moved = MACHINE.events[trigger].trigger(case, facts)
    except MachineError as err:
        raise InvalidTrigger(trigger, state) from err
    if not moved:
        raise GuardsRefused(unmet_conditions(SPECS[trigger], facts))


def mermaid(current: str | None = None) -> str:
    """The state diagram as Mermaid text, generated from the same table."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATE}"]
    for spec in TRANSITIONS:
        lines += [f"    {source} --> {spec.dest}: {spec.trigger}" for source in spec.sources]
    lines += ["    penetapan --> [*]", "    dicabut --> [*]", "    ditarik --> [*]"]
    if current is not None:
        lines += ["    classDef current fill:#f96,stroke:#333,stroke-width:3px",
                  f"    class {current} current"]
    return "\n".join(lines) + "\n"
