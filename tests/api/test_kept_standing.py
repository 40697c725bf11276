"""A worksheet's standing kept beside its answers (issue 11): a write keeps it, a decision
reads it instead of the sheet, any change to the sheet by anyone forgets it, and a sheet
without one is marked in full."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.helpers import fill_worksheet, fire, get_case, open_case, put_declaration
from workflow.db import db

TIM_A = "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a"


def _building(client: Any, world: Any, who: str = "coordinator") -> dict[str, Any]:
    unit_id = world.other_unit.id if who == "other_coordinator" else world.unit.id
    case = open_case(client, world, who=who, unit_id=unit_id)
    put_declaration(client, world, case, who=who)
    return dict(fire(client, world, get_case(client, world, case["id"], who), "start_building",
                     who).json)


def _kept(case_id: int) -> dict[str, Any]:
    db.session.rollback()
    rows = db.session.execute(text("SELECT kind, standing FROM lke_mark WHERE case_id = :c"),
                              {"c": case_id}).all()
    db.session.rollback()
    return {kind: standing if isinstance(standing, dict) else json.loads(standing)
            for kind, standing in rows}


def _sql(statement: str, **params: Any) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def _filled(client: Any, world: Any, who: str = "coordinator") -> dict[str, Any]:
    case = _building(client, world, who)
    response = fill_worksheet(client, world, case, "self", who)
    assert response.status_code == 200, response.json
    return dict(response.json)


def test_a_write_keeps_the_sheets_standing(client, world):
    case = _filled(client, world)
    kept = _kept(case["id"])
    assert set(kept) == {"self"}
    assert kept["self"]["unanswered"] == [] and kept["self"]["without_evidence"] == []
    sheet = client.get(f"/api/v1/cases/{case['id']}/assessments/self",
                       headers=world.auth("coordinator")).json
    # one revision per question, in the worksheet's order: every one answered once
    assert kept["self"]["revisions"] == [1] * len(sheet["questions"])
    assert kept["self"]["other_revisions"] == {}


CHANGES = {
    "an answer changed": "UPDATE lke_answer SET answer = NULL WHERE case_id = :c AND item_id = :i",
    "an answer deleted": "DELETE FROM lke_answer_revision WHERE answer_id IN (SELECT id FROM "
                         "lke_answer WHERE case_id = :c AND item_id = :i); "
                         "DELETE FROM lke_answer WHERE case_id = :c AND item_id = :i",
    "evidence deleted": "UPDATE lke_evidence SET deleted_at = CURRENT_TIMESTAMP "
                        "WHERE case_id = :c AND item_id = :i",
    "an answer added": "INSERT INTO lke_answer (case_id, kind, item_id, answer, note, "
                       "needs_revision, revision, answered_by, answered_at) SELECT case_id, "
                       "kind, 'x.y', answer, note, needs_revision, revision, answered_by, "
                       "answered_at FROM lke_answer WHERE case_id = :c AND item_id = :i",
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_the_sheet_forgets_its_standing_whoever_makes_it(client, world, change):
    """The triggers, not the application, forget: a script or a manual fix cannot leave a
    stale standing behind, and the next decision marks the sheet in full."""
    case = _filled(client, world)
    assert "self" in _kept(case["id"])
    for statement in CHANGES[change].split("; "):
        db.session.execute(text(statement), {"c": case["id"], "i": TIM_A})
    db.session.commit()
    assert "self" not in _kept(case["id"])
    refused = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                   "coordinator")
    if change == "an answer added":  # an unknown question changes no figure
        assert refused.status_code == 200, refused.json
        return
    assert refused.status_code == 422, refused.json
    unmet = {u["code"]: u.get("question_ids") for u in refused.json["unmet"]}
    expected = "self_evidence_missing" if change == "evidence deleted" \
        else "self_questions_unanswered"
    assert unmet == {expected: [TIM_A]}


def test_another_sheets_write_leaves_a_standing_alone(client, world):
    case = _filled(client, world)
    kept = _kept(case["id"])["self"]
    _sql("UPDATE lke_answer SET note = 'x' WHERE case_id = :c AND kind = 'tpi'", c=case["id"])
    assert _kept(case["id"])["self"] == kept


def _tamper(case_id: int) -> None:
    """A standing that says TIM_A is unanswered when it is not (no trigger guards lke_mark)."""
    kept = _kept(case_id)["self"]
    kept["unanswered"] = [TIM_A]
    _sql("UPDATE lke_mark SET standing = :s WHERE case_id = :c AND kind = 'self'",
         s=json.dumps(kept), c=case_id)


def test_a_decision_reads_the_kept_standing_not_the_sheet(app, client, world):
    """Proof the kept row is what decides: a tampered one refuses a complete sheet."""
    case = _filled(client, world)
    _tamper(case["id"])
    app.config["VERIFY_KEPT_MARKS"] = False
    try:
        refused = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                       "coordinator")
    finally:
        app.config["VERIFY_KEPT_MARKS"] = True
    assert refused.status_code == 422, refused.json
    assert [u["code"] for u in refused.json["unmet"]] == ["self_questions_unanswered"]


def test_the_suites_check_catches_a_standing_that_differs_from_the_sheet(client, world, caplog):
    """The suite runs with ``VERIFY_KEPT_MARKS``: any stale standing fails the request."""
    case = _filled(client, world)
    _tamper(case["id"])
    response = fire(client, world, case, "submit_to_tpi", "coordinator")
    assert response.status_code == 500, response.json
    assert "the kept self marks are stale" in caplog.text


def test_a_sheet_without_a_kept_standing_is_decided_on_in_full(client, world):
    """Sheets written before migration 0010 have no row: the decision and its record are the
    same as with one."""
    kept_case, case = _filled(client, world), _filled(client, world, "other_coordinator")
    with_row = fire(client, world, get_case(client, world, kept_case["id"]), "submit_to_tpi",
                    "coordinator")
    assert with_row.status_code == 200, with_row.json
    _sql("DELETE FROM lke_mark WHERE case_id = :c", c=case["id"])
    without_row = fire(client, world, get_case(client, world, case["id"], "other_coordinator"),
                       "submit_to_tpi", "other_coordinator")
    assert without_row.status_code == 200, without_row.json

    def record(case_id: int, who: str) -> dict[str, Any]:
        history = client.get(f"/api/v1/cases/{case_id}/history", headers=world.auth(who)).json
        return dict(history[-1]["score"])

    assert record(case["id"], "other_coordinator") == record(kept_case["id"], "coordinator")
