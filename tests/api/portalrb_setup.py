"""Proposals PortalRB can see: one through the whole process over HTTP, others written
directly (the same rows the process writes), and integration tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine
from flask.testing import FlaskClient

from tests.api.helpers import REG_90, best_answer, fill_worksheet, fire, get_case, put_declaration
from tests.conftest import World
from workflow import integration_tokens
from workflow.clock import JAKARTA, utcnow
from workflow.db import db
from workflow.lke.versions import pin
from workflow.models import Answer, Case, Evidence, Unit

TAHUN = 2026
BUILDING = datetime(2025, 3, 3, 9, 0, tzinfo=JAKARTA)
PROPOSING = datetime(2026, 4, 6, 9, 0, tzinfo=JAKARTA)
#: inside the 2026 proposal period: PortalRB's fetches happen here
FETCHING = datetime(2026, 6, 15, 9, 0, tzinfo=JAKARTA)
GOOD_PROPOSAL = {"bpk_opinion": "WTP", "sakip_instansi": "BB", "indeks_rb": "70",
                 "spip_level": 3, "tlhp_percent": 100, "lhkpn_percent": "100",
                 "lhkasn_percent": "100", "sakip_unit": "A"}


def _answer_with_note(question: dict[str, Any]) -> dict[str, Any]:
    return {**best_answer(question), "note": f"Catatan {question['id']}"}


def proposal_by_flow(client: FlaskClient, world: World, rubric: str | None = None,
                     unit_id: int | None = None) -> dict[str, Any]:
    """A 90/2021 WBK case taken from pencanangan to reviu_tpn over HTTP: built from March
    2025, submitted and approved by the TPI in April 2026."""
    unit_id = unit_id or world.unit.id
    with time_machine.travel(BUILDING):
        opened = client.post(f"/api/v1/units/{unit_id}/cases",
                             json={"target": "WBK", "year": TAHUN, "regulation": REG_90,
                                   "rubric": rubric}, headers=world.auth("coordinator"))
        assert opened.status_code == 201, opened.json
        case = opened.json
        assert put_declaration(client, world, case).status_code == 200
        case = fire(client, world, get_case(client, world, case["id"]), "start_building",
                    "coordinator").json
    with time_machine.travel(PROPOSING):
        filled = fill_worksheet(client, world, case, "self", "coordinator", _answer_with_note)
        assert filled.status_code == 200, filled.json
        submitted = fire(client, world, filled.json, "submit_to_tpi", "coordinator")
        assert submitted.status_code == 200, submitted.json
        checked = fill_worksheet(client, world, submitted.json, "tpi", "inspectorate",
                                 _answer_with_note)
        assert checked.status_code == 200, checked.json
        conditions = client.put(f"/api/v1/cases/{case['id']}/proposal",
                                json={**GOOD_PROPOSAL, "expected_version": checked.json["version"]},
                                headers=world.auth("inspectorate"))
        assert conditions.status_code == 200, conditions.json
        approved = fire(client, world, conditions.json, "tpi_approve", "inspectorate")
        assert approved.status_code == 200, approved.json
        assert approved.json["state"] == "reviu_tpn"
        return dict(approved.json)


def seed_proposal(world: World, unit: Unit, target: str = "WBK", state: str = "reviu_tpn",
                  rubric: str | None = None, year: int = TAHUN, answered: bool = True,
                  regulation: str = REG_90) -> Case:
    """A case written straight into a state, with every question answered by the unit (with
    a note and a link) and by the TPI: the rows the process would have written."""
    now = utcnow()
    case = Case(unit=unit, target=target, year=year, regulation=regulation, state=state,
                created_at=now, updated_at=now)
    version = pin(case, regulation, rubric)
    db.session.add(case)
    db.session.flush()
    if answered:
        for kind, who in (("self", "coordinator"), ("tpi", "inspectorate")):
            for question in version.worksheet.questions.values():
                row = Answer(case_id=case.id, kind=kind, item_id=question.id, revision=1,
                             note=f"{kind} {question.id}", needs_revision=False,
                             answered_by=world.user_ids[who], answered_at=now)
                if question.counts:
                    row.counts = {c.key: 7 for c in question.counts}
                elif question.answer_type == "survey_index":
                    row.answer = "3.25"
                else:
                    row.answer = list(question.options)[-1]
                db.session.add(row)
                if kind == "self":
                    db.session.add(Evidence(case_id=case.id, kind="self", item_id=question.id,
                                            link=f"https://bukti.example.go.id/{question.id}",
                                            description="", uploaded_by=world.user_ids[who],
                                            uploaded_at=now))
    db.session.commit()
    return case


def integration_token(instansi_id: int, days: int = 30) -> str:
    _, token = integration_tokens.add(instansi_id, days, "PortalRB")
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
