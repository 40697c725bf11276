"""The REST surface an integrator relies on: what can be written can be read, 400 for any
malformed request, pagination on every list, and an OpenAPI document that says so (and is
committed as docs/openapi.json, kept current)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.api.helpers import GOOD_DECLARATION, REG_90, open_case, put_declaration

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
OPERATIONS = ("get", "put", "post", "patch", "delete")


def test_the_declaration_and_the_proposal_can_be_read_back(client, world):
    case = open_case(client, world, regulation=REG_90)
    base = f"/api/v1/cases/{case['id']}"
    auth = world.auth("coordinator")
    assert client.get(f"{base}/declaration", headers=auth).status_code == 404
    assert put_declaration(client, world, case).status_code == 200
    declaration = client.get(f"{base}/declaration", headers=auth)
    assert declaration.status_code == 200
    assert {key: declaration.json[key] for key in GOOD_DECLARATION} == GOOD_DECLARATION
    assert client.get(f"{base}/declaration", headers=world.auth("other_coordinator")
                      ).status_code == 403
    assert client.get(f"{base}/proposal", headers=auth).json["code"] == "not_found"
    version = client.get(base, headers=auth).json["version"]
    assert client.post(f"{base}/transitions", headers=auth, json={
        "trigger": "start_building", "expected_version": version}).status_code == 200
    version = client.get(base, headers=auth).json["version"]
    body = {"bpk_opinion": "WTP", "sakip_instansi": "BB", "indeks_rb": "70", "spip_level": 3,
            "tlhp_percent": "100", "lhkpn_percent": "100", "lhkasn_percent": "100",
            "sakip_unit": "A"}
    put = client.put(f"{base}/proposal", headers=auth, json={**body, "expected_version": version})
    assert put.status_code == 200, put.json
    proposal = client.get(f"{base}/proposal", headers=auth)
    assert proposal.status_code == 200 and proposal.json == {
        **body, "indeks_rb": "70.00", "tlhp_percent": "100.00", "lhkpn_percent": "100.00",
        "lhkasn_percent": "100.00", "case_id": case["id"]}


def test_a_malformed_query_is_400_naming_the_parameter(client, world):
    auth = world.auth("admin")
    for url, name in (("/api/v1/duties?page=0", "page"), ("/api/v1/units?page_size=0", "page_size"),
                      ("/api/v1/units?instansi_id=abc", "instansi_id"),
                      ("/api/v1/duties?state=bogus", "state")):
        response = client.get(url, headers=auth)
        assert response.status_code == 400, (url, response.json)
        assert response.json["code"] == "validation_error"
        assert response.json["message_en"] == "Invalid query parameters"
        assert name in response.json["errors"]["query"]


def test_every_list_is_paginated_with_a_json_x_pagination_header(client, world):
    auth = world.auth("admin")
    case = open_case(client, world)
    for url in ("/api/v1/instansi", "/api/v1/units", f"/api/v1/units/{world.unit.id}/cases",
                f"/api/v1/cases/{case['id']}/history", "/api/v1/rubrics", "/api/v1/duties"):
        response = client.get(url + "?page=1&page_size=1", headers=auth)
        assert response.status_code == 200, url
        assert len(response.json) <= 1
        header = json.loads(response.headers["X-Pagination"])
        assert header["total"] >= len(response.json), url
    units = json.loads(client.get("/api/v1/units?page_size=1", headers=auth
                                  ).headers["X-Pagination"])
    assert units["total"] == 3 and units["total_pages"] == 3 and units["next_page"] == 2


def test_the_openapi_document_documents_401_descriptions_examples_and_the_header(client):
    spec = client.get("/api/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in OPERATIONS:
                continue
            where = f"{method.upper()} {path}"
            assert "401" in operation["responses"], where
            assert operation.get("summary") and operation.get("description"), where
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = content["application/json"]
                assert "example" in body or "examples" in body, where
            for response in operation["responses"].values():
                pagination = response.get("headers", {}).get("X-Pagination")
                if pagination:
                    assert pagination["schema"] == {"type": "string"}, where
    summary = spec["paths"]["/api/v1/cases/{case_id}/assessments/{kind}"]["put"]["requestBody"]
    shapes = summary["content"]["application/json"]["schema"]["oneOf"]
    assert [shape["$ref"].rsplit("/", 1)[1] for shape in shapes] == [
        "AssessmentPermenpanrb522014", "AssessmentPermenpanrb902021"]
    evaluate = spec["paths"]["/api/v1/rubrics/{rubric_id}/evaluate"]["post"]["requestBody"]
    assert [shape["$ref"].rsplit("/", 1)[1] for shape in
            evaluate["content"]["application/json"]["schema"]["oneOf"]] == [
        "SummaryPermenpanrb522014", "SummaryPermenpanrb902021"]
    hasil = spec["components"]["schemas"]["SummaryPermenpanrb902021"]["properties"]["hasil"]
    assert hasil["required"] == ["ipak_index", "kinerja", "ipkp_index"]


def test_docs_openapi_json_is_current(client):
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == client.get("/api/openapi.json").json, (
        "docs/openapi.json is stale: run `zi openapi write docs/openapi.json`")
