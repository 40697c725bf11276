"""An authorisation matrix generated from the route table (issue 9): every API route must
have an entry here, so a new route without one fails; every route refuses a missing,
malformed, expired or revoked token and a deactivated user's; admin-only routes refuse
every other role; a case's pages refuse the people outside its scope."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import update

from tests.api.helpers import GOOD_DECLARATION, REG_52, open_case
from tests.api.portalrb_setup import GOOD_PROPOSAL, bearer, integration_token
from tests.api.test_evidence import PDF, upload
from tests.api.test_worksheet import TIM_A, _building
from workflow import integration_tokens
from workflow.access import set_active
from workflow.clock import utcnow
from workflow.db import db
from workflow.directory import hash_token, issue_token
from workflow.models import ApiToken, Duty, User

ANY, ADMIN, CASE, ROLE = "any signed-in role", "admin only", "the case's scope", "by role"
# (method, rule) -> who may reach it. ROLE: the use case decides by role and scope (writes).
MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/cases/<int:case_id>"): CASE,
    ("GET", "/api/v1/cases/<int:case_id>/assessments"): CASE,
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>"): CASE,
    ("GET", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/explain"): CASE,
    ("PATCH", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/items"): ROLE,
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/items/"
            "<item_id>"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/items/"
            "<item_id>/revisions"): CASE,
    ("PUT", "/api/v1/cases/<int:case_id>/declaration"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/declaration"): CASE,
    ("GET", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>.xlsx"): CASE,
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>.xlsx"): ROLE,
    ("POST", "/api/v1/cases/<int:case_id>/assessments/self/items/<item_id>/evidence"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/evidence/<int:evidence_id>"): ROLE,
    ("PUT", "/api/v1/cases/<int:case_id>/evidence/<int:evidence_id>"): ROLE,
    ("DELETE", "/api/v1/cases/<int:case_id>/evidence/<int:evidence_id>"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/history"): CASE,
    ("PUT", "/api/v1/cases/<int:case_id>/proposal"): ROLE,
    ("GET", "/api/v1/cases/<int:case_id>/proposal"): CASE,
    ("POST", "/api/v1/cases/<int:case_id>/transitions"): ROLE,
    ("GET", "/api/v1/duties"): ANY,
    ("GET", "/api/v1/duties/<int:duty_id>"): ROLE,
    ("POST", "/api/v1/duties/<int:duty_id>/acknowledge"): ROLE,
    ("POST", "/api/v1/duties/<int:duty_id>/submit"): ROLE,
    ("POST", "/api/v1/duties/<int:duty_id>/waive"): ROLE,
    ("GET", "/api/v1/instansi"): ANY,
    ("POST", "/api/v1/instansi"): ADMIN,
    ("GET", "/api/v1/instansi/<int:instansi_id>"): ROLE,
    ("GET", "/api/v1/instansi/<int:instansi_id>/dashboard"): ROLE,
    ("GET", "/api/v1/instansi/<int:instansi_id>/proposal-readiness"): ROLE,
    ("GET", "/api/v1/outbox"): ADMIN,
    ("GET", "/api/v1/outbox/<int:message_id>"): ADMIN,
    ("POST", "/api/v1/outbox/<int:message_id>/retry"): ADMIN,
    ("GET", "/api/v1/rubrics"): ANY,
    ("GET", "/api/v1/rubrics/<rubric_id>"): ANY,
    ("POST", "/api/v1/rubrics/<rubric_id>/evaluate"): ANY,
    ("POST", "/api/v1/tokens/<int:token_id>/revoke"): ADMIN,
    ("GET", "/api/v1/units"): ANY,
    ("POST", "/api/v1/units"): ADMIN,
    ("GET", "/api/v1/units/<int:unit_id>"): ROLE,
    ("PATCH", "/api/v1/units/<int:unit_id>"): ADMIN,
    ("GET", "/api/v1/units/<int:unit_id>/cases"): ROLE,
    ("POST", "/api/v1/units/<int:unit_id>/cases"): ROLE,
    ("GET", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/<int:user_id>"): ADMIN,
    ("GET", "/api/v1/users/<int:user_id>/tokens"): ADMIN,
    ("POST", "/api/v1/users/<int:user_id>/tokens"): ADMIN,
    ("GET", "/api/v1/workflow/diagram"): ANY,
}
# A body each admin-only write accepts, so that a refusal is the role's, not the body's.
ADMIN_BODIES = {
    ("POST", "/api/v1/instansi"): {"name": "Instansi Baru", "kind": "lembaga"},
    ("POST", "/api/v1/units"): {"instansi_id": 1, "name": "Unit Baru", "code": "UB",
                                "eselon": 3, "strategic_service": True,
                                "rb_implemented": True, "large_resources": True},
    ("PATCH", "/api/v1/users/<int:user_id>"): {"active": True},
    ("PATCH", "/api/v1/units/<int:unit_id>"): {"name": "Nama Baru"},
}
OTHER_ROLES = ("coordinator", "inspectorate", "tpn")


def routes(app):
    return sorted((method, rule.rule) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/v1/")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def path_of(rule, case_id=1, ids=None):
    """The rule with every parameter filled: ids for ``<int:…>``, a plain value else."""
    ids = {"case_id": case_id, **(ids or {})}
    path = re.sub(r"<int:(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule)
    path = re.sub(r"<any\([^)]*\):\w+>", "self", path)
    return re.sub(r"<(\w+)>", "x", path)


def test_every_route_has_an_entry_in_the_matrix(app):
    assert set(routes(app)) == set(MATRIX), "a route without an entry (or an entry without a route)"


def _bad_credentials(world):
    """Headers for each kind of credential that must not open any route."""
    coordinator = db.session.get(User, world.user_ids["coordinator"])
    expired = issue_token(coordinator, 1, now=utcnow() - timedelta(days=2))
    revoked = issue_token(coordinator, 30)
    db.session.commit()
    db.session.execute(update(ApiToken).where(ApiToken.token_hash == hash_token(revoked))
                       .values(revoked_at=utcnow()))
    db.session.commit()
    set_active(None, world.user_ids["tpn"], False)
    return {
        "none": {},
        "malformed": {"Authorization": "Basic dXNlcjpwYXNz"},
        "unknown": {"Authorization": "Bearer not-a-token"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "deactivated": world.auth("tpn"),
    }


def test_every_route_refuses_every_bad_credential(app, client, world):
    case = open_case(client, world)
    credentials = _bad_credentials(world)
    assert client.get("/api/v1/units", headers=world.auth("coordinator")).status_code == 200
    for method, rule in routes(app):
        for kind, headers in credentials.items():
            response = client.open(path_of(rule, case["id"]), method=method, json={},
                                   headers=headers)
            assert response.status_code == 401, (method, rule, kind, response.status_code)
            assert response.json["code"] == "unauthenticated", (method, rule, kind)


@pytest.mark.parametrize("who", OTHER_ROLES)
def test_admin_routes_refuse_every_other_role(app, client, world, who):
    for (method, rule), access in MATRIX.items():
        if access != ADMIN:
            continue
        path = path_of(rule, ids={"user_id": world.user_ids["tpn"]})
        body = ADMIN_BODIES.get((method, rule), {})
        response = client.open(path, method=method, json=body, headers=world.auth(who))
        assert response.status_code == 403, (method, rule, who, response.status_code)
        assert response.json["code"] == "forbidden_for_role"


def test_admin_routes_open_to_the_admin(app, client, world):
    for (method, rule), access in MATRIX.items():
        if access != ADMIN or method != "GET":
            continue
        path = path_of(rule, ids={"user_id": world.user_ids["tpn"]})
        response = client.open(path, method=method, headers=world.auth("admin"))
        assert response.status_code in (200, 404), (rule, response.status_code)


@pytest.mark.parametrize(("who", "allowed"), [
    ("coordinator", True), ("inspectorate", True), ("tpn", True), ("admin", True),
    ("other_coordinator", False), ("foreign_inspectorate", False),
])
def test_a_case_is_seen_only_within_its_scope(app, client, world, who, allowed):
    case = open_case(client, world)
    for (method, rule), access in MATRIX.items():
        if access != CASE:
            continue
        response = client.open(path_of(rule, case["id"]), method=method,
                               headers=world.auth(who))
        if allowed:
            assert response.status_code in (200, 404), (rule, who, response.status_code)
        else:
            assert response.status_code == 403, (rule, who, response.status_code)
            assert response.json["code"] == "out_of_scope"


# Own and foreign (issue 9): each write reached by a role within a scope, tried with a body
# that would be accepted by the person whose scope it is. The foreign person (the same role,
# another unit or instansi) gets 403 out_of_scope and nothing changes; the owner is never
# refused for scope. (method, rule) -> (owner, foreign, body(case, ids)).
def _version(case):
    return case["version"]


WRITE_SCOPE = {
    ("PUT", "/api/v1/cases/<int:case_id>/declaration"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {**GOOD_DECLARATION, "expected_version": _version(case)}),
    ("POST", "/api/v1/cases/<int:case_id>/transitions"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"trigger": "start_building", "expected_version": _version(case)}),
    ("PATCH", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/items"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"expected_version": _version(case),
                           "items": [{"item_id": TIM_A, "answer": "Ya"}]}),
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>/items/"
            "<item_id>"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"answer": "Ya", "expected_version": _version(case)}),
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"areas": {}, "hasil": {}, "final": False,
                           "expected_version": _version(case)}),
    ("PUT", "/api/v1/cases/<int:case_id>/proposal"): (
        "inspectorate", "foreign_inspectorate",
        lambda case, ids: {**GOOD_PROPOSAL, "expected_version": _version(case)}),
    ("POST", "/api/v1/units/<int:unit_id>/cases"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"target": "WBBM", "year": 2026, "regulation": REG_52}),
    ("POST", "/api/v1/duties/<int:duty_id>/submit"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"report": "Laporan akhir tahun.", "evidence": []}),
    ("POST", "/api/v1/duties/<int:duty_id>/acknowledge"): (
        "inspectorate", "foreign_inspectorate", lambda case, ids: {"note": "Diterima."}),
    ("POST", "/api/v1/duties/<int:duty_id>/waive"): (
        "inspectorate", "foreign_inspectorate", lambda case, ids: {"reason": "Digabung."}),
    ("POST", "/api/v1/cases/<int:case_id>/assessments/self/items/<item_id>/evidence"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"file": (io.BytesIO(PDF), "bukti.pdf"),
                           "expected_version": str(_version(case))}),
    ("PUT", "/api/v1/cases/<int:case_id>/evidence/<int:evidence_id>"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"file": (io.BytesIO(PDF), "bukti-2.pdf"),
                           "expected_version": str(_version(case))}),
    ("DELETE", "/api/v1/cases/<int:case_id>/evidence/<int:evidence_id>"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"query": {"expected_version": _version(case)}}),
    ("PUT", "/api/v1/cases/<int:case_id>/assessments/<any(self, tpi, tpn):kind>.xlsx"): (
        "coordinator", "other_coordinator",
        lambda case, ids: {"file": (io.BytesIO(b"PK\x03\x04"), "lke.xlsx"),
                           "expected_version": str(_version(case))}),
}


def test_every_scoped_write_has_its_own_and_foreign_entry():
    writes = {(method, rule) for (method, rule), access in MATRIX.items()
              if access == ROLE and method != "GET"}
    assert writes == set(WRITE_SCOPE), "a scoped write without its own/foreign entry"


def _scoped_rows(client, world):
    """A 52/2014 case building in unit U1 with one evidence file, and an open duty of U1."""
    case = _building(client, world)
    uploaded = upload(client, world, case["id"], PDF, "sk.pdf", case["version"])
    assert uploaded.status_code == 201, uploaded.json
    duty = Duty(kind="year_end_report", unit_id=world.unit.id, subject=f"unit:{world.unit.id}",
                period="2026", due_date=date(2026, 12, 31), state="open", created_at=utcnow())
    db.session.add(duty)
    db.session.commit()
    return case["id"], {"unit_id": world.unit.id, "duty_id": duty.id,
                        "evidence_id": uploaded.json["evidence"]["id"]}


def _send(client, world, method, rule, who, case_id, ids):
    case = client.get(f"/api/v1/cases/{case_id}", headers=world.auth("admin")).json
    body = WRITE_SCOPE[(method, rule)][2](case, ids)
    path = path_of(rule, case_id, ids).replace("/items/x", f"/items/{TIM_A}")
    if set(body) == {"query"}:
        return client.open(path, method=method, query_string=body["query"],
                           headers=world.auth(who))
    if any(isinstance(value, tuple) for value in body.values()):
        return client.open(path, method=method, data=body, headers=world.auth(who),
                           content_type="multipart/form-data")
    return client.open(path, method=method, json=body, headers=world.auth(who))


@pytest.mark.parametrize(("method", "rule"), sorted(WRITE_SCOPE))
def test_a_scoped_write_refuses_the_foreign_person_and_not_the_owner(
        app, client, world, method, rule):
    owner, foreign, _ = WRITE_SCOPE[(method, rule)]
    case_id, ids = _scoped_rows(client, world)
    before = client.get(f"/api/v1/cases/{case_id}/history", headers=world.auth("admin")).json
    refused = _send(client, world, method, rule, foreign, case_id, ids)
    assert refused.status_code == 403, (foreign, refused.status_code, refused.json)
    assert refused.json["code"] == "out_of_scope"
    after = client.get(f"/api/v1/cases/{case_id}/history", headers=world.auth("admin")).json
    assert after == before
    mine = _send(client, world, method, rule, owner, case_id, ids)
    assert mine.status_code != 403 and mine.status_code < 500, (owner, mine.status_code,
                                                                 mine.json)


# PortalRB's routes: integration tokens only, in PortalRB's own error format.
PORTALRB_ROUTES = {
    ("GET", "/api/portalrb/pengusulan/unit-wbk"), ("GET", "/api/portalrb/pengusulan/unit-wbbm"),
    ("GET", "/api/portalrb/lke/jawaban-unit/<path:unit_id>"),
}


def test_every_portalrb_route_is_in_the_matrix(app):
    found = {(method, rule.rule) for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/portalrb/")
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert found == PORTALRB_ROUTES


def test_portalrb_routes_refuse_every_bad_integration_token_and_open_to_a_valid_one(
        client, world):
    expired = integration_token(world.instansi.id, days=1)
    revoked = integration_token(world.instansi.id)
    valid = integration_token(world.instansi.id)
    row = integration_tokens.authenticate(revoked)
    assert row is not None
    integration_tokens.revoke(row.id)
    bad = {"none": {}, "malformed": {"Authorization": "Basic dXNlcjpwYXNz"},
           "unknown": bearer("zirb_not-a-token"), "user's": world.auth("admin"),
           "revoked": bearer(revoked)}
    for method, rule in sorted(PORTALRB_ROUTES):
        path = rule.replace("<path:unit_id>", world.unit.code)
        for kind, headers in bad.items():
            response = client.open(path, method=method, headers=headers)
            assert response.status_code == 401, (rule, kind, response.status_code)
            assert response.json["code"] == "UNAUTHORIZED", (rule, kind)
        with time_machine.travel(utcnow() + timedelta(days=1, seconds=1)):
            late = client.open(path, method=method, headers=bearer(expired))
        assert late.status_code == 401 and late.json["code"] == "UNAUTHORIZED", rule
        opened = client.open(path, method=method, headers=bearer(valid))
        assert opened.status_code in (200, 404), (rule, opened.status_code)
