"""The HTTP API against a plain model of DOMAIN.md's process table (issue 9): Hypothesis
drives any trigger by any role, with or without the figures its guards need, and after every
step the case's state and its listed triggers must be the model's.

The model is written out here from DOMAIN.md (52/2014, WBK), not derived from
``workflow.machine``, so that a drift between the two is caught.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.api.helpers import fill_worksheet, get_case, put_assessment, put_declaration
from workflow.db import db
from workflow.models import Unit, User

BUILDING = ("pencanangan", "pembangunan")
# trigger: (from states, to state, roles, what its guards need in the model)
TABLE: dict[str, tuple[tuple[str, ...], str, tuple[str, ...], tuple[str, ...]]] = {
    "start_building": (("pencanangan",), "pembangunan", ("coordinator",), ("declared",)),
    "submit_to_tpi": (("pembangunan",), "pengusulan", ("coordinator",),
                      ("declared", "self_filled")),
    "tpi_approve": (("pengusulan",), "reviu_tpn", ("inspectorate",), ("tpi_filled",)),
    "tpi_return": (("pengusulan",), "pembangunan", ("inspectorate",), ()),
    "designate": (("reviu_tpn",), "penetapan", ("tpn",), ("tpn_entered",)),
    "tpn_return": (("reviu_tpn",), "pembangunan", ("tpn",), ()),
    # DOMAIN.md: "tpn (52/2014: WBK by inspectorate)"; read as the TPN, and for a 52/2014
    # WBK also the inspectorate that designated it.
    "revoke": (("penetapan",), "dicabut", ("tpn", "inspectorate"), ()),
    "withdraw": (("pencanangan", "pembangunan", "pengusulan", "reviu_tpn"), "ditarik",
                 ("admin", "inspectorate"), ()),
}
ROLES = ("coordinator", "inspectorate", "tpn", "admin")
REACHED: set[str] = set()  # the triggers fired successfully, over all runs
# what each need is met by (the rules below)
PREPARE = {"declared": "declare", "self_filled": "answer_the_self_worksheet",
           "tpi_filled": "answer_the_tpi_worksheet", "tpn_entered": "enter_the_tpn_summary"}


def test_the_api_follows_the_process_table(client, world):
    counter = iter(range(10_000))

    class Process(RuleBasedStateMachine):
        """One fresh unit and case per run; ``done`` holds what the guards need."""

        @initialize()
        def open_case(self) -> None:
            number = next(counter)
            unit = Unit(instansi_id=world.instansi.id, name=f"Unit model {number}",
                        code=f"M{number}", eselon=3, strategic_service=True,
                        rb_implemented=True, large_resources=True)
            db.session.add(unit)
            coordinator = db.session.get(User, world.user_ids["coordinator"])
            assert coordinator is not None
            coordinator.units.append(unit)
            db.session.commit()
            response = client.post(f"/api/v1/units/{unit.id}/cases",
                                   json={"target": "WBK", "year": 2026,
                                         "regulation": "permenpanrb-52-2014"},
                                   headers=world.auth("coordinator"))
            assert response.status_code == 201, response.json
            self.case: dict[str, Any] = response.json
            self.state = "pencanangan"
            self.done: set[str] = set()

        def refresh(self) -> dict[str, Any]:
            self.case = get_case(client, world, self.case["id"], "admin")
            return self.case

        @precondition(lambda self: self.state in BUILDING)
        @rule()
        def declare(self) -> None:
            assert put_declaration(client, world, self.case).status_code == 200
            self.done.add("declared")

        @precondition(lambda self: self.state in BUILDING)
        @rule()
        def answer_the_self_worksheet(self) -> None:
            response = fill_worksheet(client, world, self.refresh(), "self", "coordinator")
            assert response.status_code == 200, response.json
            self.done.add("self_filled")

        @precondition(lambda self: self.state == "pengusulan")
        @rule()
        def answer_the_tpi_worksheet(self) -> None:
            response = fill_worksheet(client, world, self.refresh(), "tpi", "inspectorate")
            assert response.status_code == 200, response.json
            self.done.add("tpi_filled")

        @precondition(lambda self: self.state == "reviu_tpn")
        @rule()
        def enter_the_tpn_summary(self) -> None:
            assert put_assessment(client, world, self.case, "tpn", "tpn").status_code == 200
            self.done.add("tpn_entered")

        @rule(trigger=st.sampled_from(sorted(TABLE)), who=st.sampled_from(ROLES))
        def fire_anything(self, trigger: str, who: str) -> None:
            self.fire(trigger, who)

        @rule(data=st.data())
        def move_on(self, data: st.DataObject) -> None:
            """A trigger the model allows here, by a role that may fire it: without this,
            random choices rarely get past the first steps. Forward steps first."""
            allowed = [(trigger, who) for trigger, (sources, _, roles, _) in TABLE.items()
                       if self.state in sources for who in roles]
            forward = [(t, w) for t, w in allowed if t not in ("withdraw", "revoke")]
            if not allowed:
                return
            trigger, who = data.draw(st.sampled_from(sorted(forward or allowed)))
            if data.draw(st.booleans()):  # most often with what its guards need
                for need in TABLE[trigger][3]:
                    if need not in self.done:
                        getattr(self, PREPARE[need])()
            self.fire(trigger, who)

        def fire(self, trigger: str, who: str) -> None:
            sources, destination, roles, needs = TABLE[trigger]
            version = self.refresh()["version"]
            response = client.post(f"/api/v1/cases/{self.case['id']}/transitions",
                                   json={"trigger": trigger, "expected_version": version,
                                         "reason": "Alasan pengujian"},
                                   headers=world.auth(who))
            if who not in roles:
                expected, code = 403, "forbidden_for_role"
            elif self.state not in sources:
                expected, code = 409, "transition_not_available"
            elif not set(needs) <= self.done:
                expected, code = 422, "guard_failed"
            else:
                expected, code = 200, None
            assert response.status_code == expected, (trigger, who, self.state, response.json)
            if code is not None:
                assert response.json["code"] == code
            else:
                self.state = destination
                REACHED.add(trigger)

        @invariant()
        def state_and_listed_triggers_are_the_models(self) -> None:
            for who in ROLES:
                case = get_case(client, world, self.case["id"], who)
                assert case["state"] == self.state
                listed = {t["trigger"]: t["allowed"] for t in case["available_transitions"]}
                expected = {trigger for trigger, (sources, _, roles, _) in TABLE.items()
                            if self.state in sources and who in roles}
                assert set(listed) == expected, (who, self.state, listed)
                for trigger, allowed in listed.items():
                    assert allowed == (set(TABLE[trigger][3]) <= self.done), (trigger, who)

    Process.TestCase.settings = settings(
        max_examples=6, stateful_step_count=30, deadline=None, derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: HTTP is slow
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    Process.TestCase().runTest()
    assert REACHED == set(TABLE), f"runs never fired {set(TABLE) - REACHED}"
