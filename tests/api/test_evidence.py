"""Evidence files over HTTP: limits, types by content, scope, replace and delete kept."""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import select

from tests.api.helpers import (
    fill_worksheet,
    fire,
    get_case,
    open_case,
    put_declaration,
    to_pengusulan,
)
from tests.api.test_worksheet import TIM_A, _building
from workflow.db import db
from workflow.models import AuditEvent, Evidence

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
EXE = b"MZ" + b"\x90" * 200


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def upload(client, world, case_id, data, name, version, item=TIM_A, who="coordinator",
           description=None):
    form = {"file": (io.BytesIO(data), name), "expected_version": str(version)}
    if description is not None:
        form["description"] = description
    return client.post(f"/api/v1/cases/{case_id}/assessments/self/items/{item}/evidence",
                       data=form, content_type="multipart/form-data", headers=world.auth(who))


def _evidence_of(client, world, case_id, item=TIM_A):
    sheet = client.get(f"/api/v1/cases/{case_id}/assessments/self",
                       headers=world.auth("coordinator")).json
    return next(q for q in sheet["questions"] if q["id"] == item)["evidence"]


def test_an_upload_is_recorded_with_its_hash_and_downloads_only_within_the_case_scope(
        app, client, world):
    case = _building(client, world)
    response = upload(client, world, case["id"], PDF, "SK Tim ZI.pdf", case["version"],
                      description="SK tim")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["case_version"] == case["version"] + 1
    evidence = body["evidence"]
    assert (evidence["filename"], evidence["content_type"], evidence["size"],
            evidence["sha256"], evidence["description"], evidence["uploaded_by"]) == (
        "SK Tim ZI.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest(),
        "SK tim", world.user_ids["coordinator"])
    assert [e["id"] for e in _evidence_of(client, world, case["id"])] == [evidence["id"]]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.case_id == case["id"])
                               .order_by(AuditEvent.seq.desc())).scalars().first()
    assert event.action == "evidence_add" and event.score["sha256"] == evidence["sha256"]

    url = f"/api/v1/cases/{case['id']}/evidence/{evidence['id']}"
    for who in ("coordinator", "inspectorate", "tpn", "admin"):
        got = client.get(url, headers=world.auth(who))
        assert got.status_code == 200, (who, got.json)
        assert got.data == PDF
        assert got.headers["Content-Type"] == "application/pdf"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert "SK" in got.headers["Content-Disposition"]
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    for who in ("other_coordinator", "foreign_inspectorate"):
        refused = client.get(url, headers=world.auth(who))
        assert refused.status_code == 403 and refused.json["code"], who
    assert client.get(url + "0", headers=world.auth("coordinator")).status_code == 404


def test_size_limit_413_and_types_read_from_the_content_415(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1000)
    case = _building(client, world)
    version = case["version"]
    over = upload(client, world, case["id"], PDF + b" " * (1001 - len(PDF)), "a.pdf", version)
    assert over.status_code == 413 and over.json["code"] == "file_too_large"
    assert "1000" in over.json["errors"]["file"][0]
    far_over = upload(client, world, case["id"], PDF + b" " * 200_000, "a.pdf", version)
    assert far_over.status_code == 413 and far_over.json["code"] == "file_too_large"
    at_limit = upload(client, world, case["id"], PDF + b" " * (1000 - len(PDF)), "a.pdf",
                      version)
    assert at_limit.status_code == 201, at_limit.json
    version = at_limit.json["case_version"]

    refusals = [(EXE, "laporan.pdf", "application/x-msdownload"),
                (EXE, "setup.exe", "application/x-msdownload"),
                (PNG, "laporan.pdf", "image/png"),
                (PDF, "laporan.docx", "application/pdf"),
                (b"just some text", "catatan.txt", "unknown")]
    for data, name, named in refusals:
        refused = upload(client, world, case["id"], data, name, version)
        assert refused.status_code == 415, (name, refused.json)
        assert refused.json["code"] == "unsupported_file_type"
        assert named in refused.json["errors"]["file"][0], refused.json
    empty = upload(client, world, case["id"], b"", "a.pdf", version)
    assert empty.status_code == 400 and "file" in empty.json["errors"]
    missing = client.post(f"/api/v1/cases/{case['id']}/assessments/self/items/{TIM_A}/evidence",
                          data={"expected_version": str(version)},
                          content_type="multipart/form-data", headers=world.auth("coordinator"))
    assert missing.status_code == 400 and "file" in missing.json["errors"]
    not_a_file = client.post(
        f"/api/v1/cases/{case['id']}/assessments/self/items/{TIM_A}/evidence",
        data={"file": "%PDF-1.4", "expected_version": str(version)},
        content_type="multipart/form-data", headers=world.auth("coordinator"))
    assert not_a_file.status_code == 400 and "file" in not_a_file.json["errors"]
    unknown = upload(client, world, case["id"], PDF, "a.pdf", version, item="no.such.item")
    assert unknown.status_code == 400 and "item_id" in unknown.json["errors"]
    stale = upload(client, world, case["id"], PDF, "a.pdf", version - 1)
    assert stale.status_code == 409 and stale.json["code"] == "stale_version"

    for data, name, mime in ((PNG, "foto.PNG", "image/png"), (_docx(), "sk.docx", (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))):
        accepted = upload(client, world, case["id"], data, name, version)
        assert accepted.status_code == 201, accepted.json
        assert accepted.json["evidence"]["content_type"] == mime
        version = accepted.json["case_version"]
    assert get_case(client, world, case["id"])["version"] == version
    assert [e["filename"] for e in _evidence_of(client, world, case["id"])] == [
        "a.pdf", "foto.PNG", "sk.docx"]


def test_replace_keeps_the_old_file_and_delete_is_soft(app, client, world):
    case = _building(client, world)
    first = upload(client, world, case["id"], PDF, "lama.pdf", case["version"]).json
    old_id = first["evidence"]["id"]
    new_pdf = PDF.replace(b"1.4", b"1.7")
    replaced = client.put(f"/api/v1/cases/{case['id']}/evidence/{old_id}",
                          data={"file": (io.BytesIO(new_pdf), "baru.pdf"),
                                "expected_version": str(first["case_version"])},
                          content_type="multipart/form-data", headers=world.auth("coordinator"))
    assert replaced.status_code == 200, replaced.json
    new_id = replaced.json["evidence"]["id"]
    assert [e["id"] for e in _evidence_of(client, world, case["id"])] == [new_id]
    old_row = db.session.get(Evidence, old_id)
    assert old_row.replaced_by == new_id
    for evidence_id, content in ((old_id, PDF), (new_id, new_pdf)):
        got = client.get(f"/api/v1/cases/{case['id']}/evidence/{evidence_id}",
                         headers=world.auth("coordinator"))
        assert got.status_code == 200 and got.data == content
    again = client.put(f"/api/v1/cases/{case['id']}/evidence/{old_id}",
                       data={"file": (io.BytesIO(PDF), "x.pdf"),
                             "expected_version": str(replaced.json["case_version"])},
                       content_type="multipart/form-data", headers=world.auth("coordinator"))
    assert again.status_code == 400 and again.json["code"] == "evidence_not_current"

    deleted = client.delete(f"/api/v1/cases/{case['id']}/evidence/{new_id}",
                            query_string={"expected_version": replaced.json["case_version"]},
                            headers=world.auth("coordinator"))
    assert deleted.status_code == 200, deleted.json
    assert _evidence_of(client, world, case["id"]) == []
    db.session.expire_all()
    row = db.session.get(Evidence, new_id)
    assert row.deleted_at is not None and row.deleted_by == world.user_ids["coordinator"]
    actions = db.session.execute(select(AuditEvent.action).where(
        AuditEvent.case_id == case["id"]).order_by(AuditEvent.seq)).scalars().all()
    assert actions[-3:] == ["evidence_add", "evidence_replace", "evidence_delete"]


def test_a_file_counts_for_completeness_like_a_link(app, client, world):
    case = _building(client, world)

    sheet_url = f"/api/v1/cases/{case['id']}/assessments/self"
    filled = fill_worksheet(client, world, case, "self", "coordinator")
    assert filled.status_code == 200
    link = _evidence_of(client, world, case["id"])[0]
    gone = client.delete(f"/api/v1/cases/{case['id']}/evidence/{link['id']}",
                         query_string={"expected_version": filled.json["version"]},
                         headers=world.auth("coordinator"))
    assert gone.status_code == 200
    sheet = client.get(sheet_url, headers=world.auth("coordinator")).json
    assert sheet["without_evidence"] == [TIM_A]
    refused = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                   "coordinator")
    assert refused.status_code == 422
    filed = upload(client, world, case["id"], PDF, "sk.pdf", gone.json["case_version"])
    assert filed.status_code == 201
    assert client.get(sheet_url, headers=world.auth("coordinator")).json["complete"] is True
    submitted = fire(client, world, get_case(client, world, case["id"]), "submit_to_tpi",
                     "coordinator")
    assert submitted.status_code == 200, submitted.json


def test_evidence_of_a_worksheet_sent_on_cannot_be_changed(app, client, world):
    case = to_pengusulan(client, world)
    evidence = _evidence_of(client, world, case["id"])[0]
    version = case["version"]
    late = upload(client, world, case["id"], PDF, "telat.pdf", version)
    assert late.status_code == 409 and late.json["code"] == "not_editable_in_state"
    deleted = client.delete(f"/api/v1/cases/{case['id']}/evidence/{evidence['id']}",
                            query_string={"expected_version": version},
                            headers=world.auth("coordinator"))
    assert deleted.status_code == 409 and deleted.json["code"] == "not_editable_in_state"
    by_inspector = upload(client, world, case["id"], PDF, "tpi.pdf", version, who="inspectorate")
    assert by_inspector.status_code == 403
    other = upload(client, world, case["id"], PDF, "x.pdf", version, who="other_coordinator")
    assert other.status_code == 403
    assert get_case(client, world, case["id"])["version"] == version
    link = client.get(f"/api/v1/cases/{case['id']}/evidence/{evidence['id']}",
                      headers=world.auth("coordinator"))
    assert link.status_code == 404 and link.json["code"] == "evidence_is_link"


def test_openapi_types_the_file_endpoints(client):
    spec = client.get("/api/openapi.json").json
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    cases = "/api/v1/cases/{case_id}"
    uploads = [(f"{cases}/assessments/self/items/{{item_id}}/evidence", "post", "201"),
               (f"{cases}/evidence/{{evidence_id}}", "put", "200"),
               (f"{cases}/assessments/{{kind}}.xlsx", "put", "200")]
    for path, method, ok in uploads:
        operation = paths[path][method]
        body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        schema = schemas[body["$ref"].rsplit("/", 1)[-1]]
        assert schema["properties"]["file"] == {**schema["properties"]["file"],
                                                "type": "string", "format": "binary"}
        assert {"file", "expected_version"} <= set(schema["required"])
        assert {ok, "403", "409", "413"} <= set(operation["responses"]), path
    assert {"413", "415"} <= set(paths[uploads[0][0]]["post"]["responses"])
    downloads = [(f"{cases}/evidence/{{evidence_id}}", "application/octet-stream"),
                 (f"{cases}/assessments/{{kind}}.xlsx",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    for path, media in downloads:
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content == {media: {"schema": {"type": "string", "format": "binary"}}}
    deleted = paths[f"{cases}/evidence/{{evidence_id}}"]["delete"]
    assert [p["name"] for p in deleted["parameters"] if p["in"] == "query"] == [
        "expected_version"]


def test_another_units_evidence_is_refused_whichever_case_it_is_asked_through(client, world):
    mine = _building(client, world)
    mine_id = upload(client, world, mine["id"], PDF, "milik-saya.pdf", mine["version"]).json[
        "evidence"]["id"]
    theirs = open_case(client, world, who="other_coordinator", unit_id=world.other_unit.id)
    assert put_declaration(client, world, theirs, who="other_coordinator").status_code == 200
    theirs = fire(client, world, get_case(client, world, theirs["id"], "other_coordinator"),
                  "start_building", "other_coordinator").json
    their_id = upload(client, world, theirs["id"], PNG, "bukan-milikmu.png", theirs["version"],
                      who="other_coordinator").json["evidence"]["id"]
    direct = client.get(f"/api/v1/cases/{theirs['id']}/evidence/{their_id}",
                        headers=world.auth("coordinator"))
    assert direct.status_code == 403
    through_mine = client.get(f"/api/v1/cases/{mine['id']}/evidence/{their_id}",
                              headers=world.auth("coordinator"))
    assert through_mine.status_code == 404
    replace = client.put(f"/api/v1/cases/{mine['id']}/evidence/{their_id}",
                         data={"file": (io.BytesIO(PDF), "x.pdf"),
                               "expected_version": str(mine["version"] + 1)},
                         content_type="multipart/form-data", headers=world.auth("coordinator"))
    assert replace.status_code == 404
    own = client.get(f"/api/v1/cases/{mine['id']}/evidence/{mine_id}",
                     headers=world.auth("coordinator"))
    assert own.status_code == 200 and own.data == PDF
