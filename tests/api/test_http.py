"""The HTTP surface: auth, directory endpoints, evaluate, diagram, OpenAPI and error bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.api.helpers import FULL_AREAS_52, GOOD_HASIL_52, open_case
from workflow.clock import utcnow
from workflow.directory import create_user

UNIT = {"name": "Kantor Baru", "code": "KB", "eselon": 2, "strategic_service": True,
        "rb_implemented": True, "large_resources": False}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc"])
def test_api_needs_a_valid_token(client, world, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/units", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_refused(client, app):
    _, token = create_user("short@uji.go.id", "tpn", ttl_days=1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=2)):
        assert client.get("/api/v1/units", headers=headers).status_code == 401


def test_admin_manages_instansi_and_units(client, world):
    created = client.post("/api/v1/instansi", json={"name": "Lembaga Baru", "kind": "lembaga"},
                          headers=world.auth("admin"))
    assert created.status_code == 201
    dup = client.post("/api/v1/instansi", json={"name": "Lembaga Baru", "kind": "lembaga"},
                      headers=world.auth("admin"))
    assert dup.status_code == 409 and dup.json["code"] == "instansi_exists"
    unit = client.post("/api/v1/units", json={**UNIT, "instansi_id": created.json["id"]},
                       headers=world.auth("admin"))
    assert unit.status_code == 201 and unit.json["eselon"] == 2
    bad = client.post("/api/v1/units", json={**UNIT, "instansi_id": 999},
                      headers=world.auth("admin"))
    assert bad.status_code == 400 and "instansi_id" in bad.json["errors"]


@pytest.mark.parametrize("who", ["coordinator", "inspectorate", "tpn"])
def test_only_admins_manage(client, world, who):
    assert client.post("/api/v1/instansi", json={"name": "X", "kind": "pemda"},
                       headers=world.auth(who)).status_code == 403
    response = client.post("/api/v1/units", json={**UNIT, "instansi_id": world.instansi.id},
                           headers=world.auth(who))
    assert response.status_code == 403 and response.json["code"] == "forbidden_for_role"


def test_lists_are_scoped(client, world):
    def unit_ids(who):
        return {u["id"] for u in client.get("/api/v1/units", headers=world.auth(who)).json}

    everyone = {world.unit.id, world.other_unit.id, world.foreign_unit.id}
    assert unit_ids("admin") == everyone and unit_ids("tpn") == everyone
    assert unit_ids("inspectorate") == {world.unit.id, world.other_unit.id}
    assert unit_ids("coordinator") == {world.unit.id}
    assert unit_ids("foreign_inspectorate") == {world.foreign_unit.id}
    instansi = client.get("/api/v1/instansi", headers=world.auth("coordinator")).json
    assert [i["id"] for i in instansi] == [world.instansi.id]
    assert client.get(f"/api/v1/units/{world.foreign_unit.id}",
                      headers=world.auth("coordinator")).status_code == 403
    assert client.get(f"/api/v1/instansi/{world.foreign_unit.instansi_id}",
                      headers=world.auth("coordinator")).status_code == 404


def test_evaluate_returns_every_figure_as_a_string(client, world):
    response = client.post("/api/v1/rubrics/permenpanrb-52-2014/evaluate",
                           json={"areas": FULL_AREAS_52, "hasil": GOOD_HASIL_52},
                           headers=world.auth("coordinator"))
    assert response.status_code == 200
    body = response.json
    assert body["total"] == "89.50" and body["pengungkit"] == "53.00"
    assert body["predicates"]["WBK"] == {"eligible": True, "unmet": []}
    assert body["predicates"]["WBBM"]["eligible"] is True


def test_evaluate_at_the_boundary(client, world):
    areas = {**FULL_AREAS_52, "penataan_sdm": "12.49"}  # total 86.48
    hasil = {"ipak": "13.5", "tlhp": "4.5", "ipkp": "15.99"}
    body = client.post("/api/v1/rubrics/permenpanrb-52-2014/evaluate",
                       json={"areas": areas, "hasil": hasil},
                       headers=world.auth("tpn")).json
    assert body["predicates"]["WBK"]["eligible"] is True
    assert [(u["code"], u["value"], u["minimum"]) for u in body["predicates"]["WBBM"]["unmet"]
            ] == [("service_component_below_minimum", "15.99", "16.00")]


def test_evaluate_errors(client, world):
    unknown = client.post("/api/v1/rubrics/nope/evaluate",
                          json={"areas": {}, "hasil": {}},
                          headers=world.auth("tpn"))
    assert unknown.status_code == 404
    bad = client.post("/api/v1/rubrics/permenpanrb-90-2021/evaluate",
                      json={"areas": FULL_AREAS_52, "hasil": {"ipak_index": "4.01"},
                            }, headers=world.auth("tpn"))
    assert bad.status_code == 400 and "hasil.ipak_index" in bad.json["errors"]
    nan = client.post("/api/v1/rubrics/permenpanrb-90-2021/evaluate",
                      data='{"areas": {"penataan_sdm": NaN}, "hasil": {}}',
                      content_type="application/json", headers=world.auth("tpn"))
    assert nan.status_code == 400


def test_diagram_highlights_the_case_state(client, world):
    case = open_case(client, world)
    response = client.get(f"/api/v1/workflow/diagram?case_id={case['id']}",
                          headers=world.auth("coordinator"))
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.text.startswith("stateDiagram-v2")
    assert "class pencanangan current" in response.text
    hidden = client.get(f"/api/v1/workflow/diagram?case_id={case['id']}",
                        headers=world.auth("other_coordinator"))
    assert hidden.status_code == 403


def test_openapi_and_docs_and_health(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    assert "/api/v1/cases/{case_id}/transitions" in paths
    responses = paths["/api/v1/cases/{case_id}/transitions"]["post"]["responses"]
    assert {"200", "400", "403", "409", "422"} <= set(responses)
    assert spec.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert client.get("/api/docs").status_code == 200
    assert client.get("/healthz").json["status"] == "ok"


def test_errors_are_json_never_html(client, world):
    missing = client.get("/api/v1/nowhere", headers=world.auth("admin"))
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    wrong_method = client.delete("/api/v1/units", headers=world.auth("admin"))
    assert wrong_method.status_code == 405 and wrong_method.is_json


def test_an_unexpected_error_is_a_json_500_without_traceback(app, client, world, monkeypatch):
    from workflow import directory

    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(directory, "list_instansi", boom)
    response = client.get("/api/v1/instansi", headers=world.auth("admin"))
    assert response.status_code == 500
    assert response.json["code"] == "internal_error"
    assert "secret" not in response.text


@pytest.mark.parametrize("path", ["/api/v1/cases/99999999999999999999",
                                  "/api/v1/units/2147483648",
                                  "/api/v1/duties/99999999999999999999"])
def test_ids_beyond_any_column_are_400_not_500(client, world, path):
    """Issue 10: a path value that is not an id (here, beyond any column) is malformed."""
    response = client.get(path, headers=world.auth("admin"))
    assert response.status_code == 400 and response.json["code"] == "validation_error"
    assert [key.startswith("path.") for key in response.json["errors"]] == [True]


def test_integers_beyond_any_column_are_400_not_500(client, world):
    unit = client.post("/api/v1/units", json={**UNIT, "instansi_id": 2**63},
                       headers=world.auth("admin"))
    assert unit.status_code == 400 and "instansi_id" in unit.json["errors"]
    case = open_case(client, world)
    fired = client.post(f"/api/v1/cases/{case['id']}/transitions",
                        json={"trigger": "withdraw", "expected_version": 2**40, "reason": "x"},
                        headers=world.auth("admin"))
    assert fired.status_code == 400 and "expected_version" in fired.json["errors"]
