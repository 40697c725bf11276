"""The inspectorate's and the operator's side: readiness before the deadline, integration
tokens from the command line, evidence files behind signed links."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.api.helpers import REG_52
from tests.api.portalrb_setup import (
    FETCHING,
    TAHUN,
    bearer,
    integration_token,
    seed_proposal,
)
from tests.conftest import _unit
from tests.workflow.test_audit import run_cli
from workflow import integration_tokens
from workflow.db import db
from workflow.models import Evidence

TIM_A = "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"
TIM_B = "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.b"
PDF = b"%PDF-1.4 SK Tim Zona Integritas"


def readiness_url(world, tahun=TAHUN):
    return f"/api/v1/instansi/{world.instansi.id}/proposal-readiness?tahun={tahun}"


def add_file(world, case, item_id, content=PDF, size=None, filename="sk-tim.pdf"):
    digest = hashlib.sha256(content).hexdigest()
    row = Evidence(case_id=case.id, kind="self", item_id=item_id, filename=filename,
                   content_type="application/pdf", size=len(content) if size is None else size,
                   sha256=digest, description="SK Tim",
                   uploaded_by=world.user_ids["coordinator"])
    db.session.add(row)
    db.session.commit()
    return row


def store(app, content=PDF):
    digest = hashlib.sha256(content).hexdigest()
    path = app.config["STORAGE_DIR"] / digest[:2] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", tmp_path / "evidence")
    return tmp_path / "evidence"


def test_readiness_says_for_each_case_whether_portalrb_sees_it_and_why_not(app, client, world):
    u3, u4, u5 = (_unit(world.instansi, code) for code in ("U3", "U4", "U5"))
    db.session.commit()
    ready = seed_proposal(world, world.unit)
    seed_proposal(world, world.other_unit, state="pembangunan", answered=False)
    seed_proposal(world, u3, regulation=REG_52)
    seed_proposal(world, u4, answered=False)
    heavy = seed_proposal(world, u5)
    add_file(world, heavy, TIM_A, size=60 * 2**20)
    seed_proposal(world, world.foreign_unit)
    got = client.get(readiness_url(world), headers=world.auth("inspectorate"))
    assert got.status_code == 200, got.json
    cases = {c["unit_code"]: c for c in got.json["cases"]}
    assert list(cases) == ["U1", "U2", "U3", "U4", "U5"]
    verdicts = {code: (c["visible"], c["ready"], [p["code"] for p in c["problems"]])
                for code, c in cases.items()}
    assert verdicts == {
        "U1": (True, True, []),
        "U2": (False, False, ["not_approved_by_tpi", "worksheet_not_final",
                              "worksheet_not_final"]),
        "U3": (False, False, ["regulation_not_supported"]),
        "U4": (True, False, ["questions_unanswered", "questions_unanswered"]),
        "U5": (True, False, ["evidence_too_large"]),
    }
    assert [p["subject"] for p in cases["U2"]["problems"][1:]] == ["self", "tpi"]
    assert len(cases["U4"]["problems"][0]["question_ids"]) == 113
    assert cases["U5"]["problems"][0]["question_ids"] == [TIM_A]
    assert cases["U1"]["case_id"] == ready.id and cases["U1"]["kategori"] == "WBK"
    # What the check calls visible is exactly what PortalRB lists.
    token = integration_token(world.instansi.id)
    listed = client.get(f"/api/portalrb/pengusulan/unit-wbk?tahun={TAHUN}",
                        headers=bearer(token)).json["units"]
    assert [u["id"] for u in listed] == [c for c, v in cases.items() if v["visible"]]
    assert client.get(readiness_url(world, TAHUN + 1), headers=world.auth("admin")
                      ).json["cases"] == []


def test_readiness_is_for_the_instansis_inspectorate_and_admins(client, world):
    assert client.get(readiness_url(world), headers=world.auth("admin")).status_code == 200
    assert client.get(readiness_url(world), headers=world.auth("coordinator")
                      ).status_code == 403
    assert client.get(readiness_url(world), headers=world.auth("foreign_inspectorate")
                      ).status_code == 404
    assert client.get(f"/api/v1/instansi/{world.instansi.id}/proposal-readiness?tahun=x",
                      headers=world.auth("admin")).status_code == 400


def test_zi_portalrb_check_prints_the_same_verdicts(app, world):
    seed_proposal(world, world.unit)
    not_yet = run_cli(app, "portalrb", "check", "--instansi", str(world.instansi.id),
                      "--tahun", str(TAHUN))
    assert not_yet.exit_code == 0, not_yet.output
    assert not_yet.output.splitlines()[0].startswith("READY\t")
    assert not_yet.output.splitlines()[-1] == "1 of 1 cases of 2026 ready for PortalRB"
    seed_proposal(world, world.other_unit, state="pengusulan")
    failing = run_cli(app, "portalrb", "check", "--instansi", str(world.instansi.id),
                      "--tahun", str(TAHUN))
    assert failing.exit_code == 1
    assert "\t- not_approved_by_tpi: Not yet approved by the TPI (tpi_approve)" in failing.output
    unknown = run_cli(app, "portalrb", "check", "--instansi", "999")
    assert unknown.exit_code != 0 and "not found" in unknown.output


def test_integration_tokens_from_the_command_line(app, client, world):
    added = run_cli(app, "integration-token", "add", "--instansi", str(world.instansi.id),
                    "--name", "PortalRB 2026", "--days", "90")
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    assert token.startswith("zirb_") and " " not in token
    assert "http://zi.test/api/portalrb" in added.output
    row = integration_tokens.authenticate(token)
    assert row is not None and token not in row.token_hash
    assert client.get("/api/portalrb/pengusulan/unit-wbk", headers=bearer(token)
                      ).status_code == 200
    listed = run_cli(app, "integration-token", "list", "--instansi", str(world.instansi.id))
    assert listed.output.splitlines()[0].split("\t")[:3] == [
        str(row.id), f"instansi {world.instansi.id}", "active"]
    assert token not in listed.output
    revoked = run_cli(app, "integration-token", "revoke", str(row.id))
    assert revoked.exit_code == 0, revoked.output
    assert "\trevoked\t" in run_cli(app, "integration-token", "list").output
    assert client.get("/api/portalrb/pengusulan/unit-wbk", headers=bearer(token)
                      ).status_code == 401
    again = run_cli(app, "integration-token", "revoke", str(row.id))
    assert again.exit_code != 0 and "already revoked" in again.output
    for bad in (["--instansi", "999"], ["--instansi", str(world.instansi.id), "--days", "0"]):
        refused = run_cli(app, "integration-token", "add", *bad)
        assert refused.exit_code != 0


def _file_link(client, token):
    answers = client.get(f"/api/portalrb/lke/jawaban-unit/U1?tahun={TAHUN}",
                         headers=bearer(token)).json["answers"]
    evidence = answers[0]["bukti_dukung_unit"].split(";")
    assert evidence[0] == f"https://bukti.example.go.id/{TIM_A}"
    assert evidence[1].startswith("http://zi.test/files/evidence/")
    return urlsplit(evidence[1]).path


def test_an_uploaded_file_reaches_portalrb_as_a_signed_link(app, client, world, storage):
    case = seed_proposal(world, world.unit)
    add_file(world, case, TIM_A)
    store(app)
    token = integration_token(world.instansi.id)
    with time_machine.travel(FETCHING):
        path = _file_link(client, token)
        got = client.get(path)  # no token at all
        assert got.status_code == 200 and got.data == PDF
        assert got.mimetype == "application/pdf"
        assert "sk-tim.pdf" in got.headers["Content-Disposition"]
        # A file above the limit is described instead.
        add_file(world, case, TIM_B, size=51 * 2**20, filename="video.mp4")
        answers = client.get(f"/api/portalrb/lke/jawaban-unit/U1?tahun={TAHUN}",
                             headers=bearer(token)).json["answers"]
        assert answers[1]["bukti_dukung_unit"].endswith(
            "video.mp4 (51.0 MB, terlalu besar untuk ditautkan / too large to link)")


def test_a_signed_link_expires_and_cannot_be_altered(app, client, world, storage):
    case = seed_proposal(world, world.unit)
    add_file(world, case, TIM_A)
    file_path = store(app)
    token = integration_token(world.instansi.id)
    with time_machine.travel(FETCHING):
        path = _file_link(client, token)
    with time_machine.travel(FETCHING + timedelta(days=29, hours=23)):
        assert client.get(path).status_code == 200
    with time_machine.travel(FETCHING + timedelta(days=30)):
        expired = client.get(path)
    assert expired.status_code == 403 and expired.json["code"] == "link_expired"
    with time_machine.travel(FETCHING):
        signed = path.rsplit("/", 1)[1]
        # (not the last character: its low bits may be padding that decoding drops)
        flipped = signed[:-6] + ("A" if signed[-6] != "A" else "B") + signed[-5:]
        for altered in (flipped, "x" + signed, signed.replace(".", "", 1)):
            refused = client.get(f"/files/evidence/{altered}")
            assert refused.status_code == 403, altered
            assert refused.json["code"] == "link_invalid"
        file_path.unlink()
        assert client.get(path).status_code == 404


def test_the_link_lifetime_is_configurable(app, client, world, storage, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNED_LINK_DAYS", 2)
    case = seed_proposal(world, world.unit)
    add_file(world, case, TIM_A)
    store(app)
    token = integration_token(world.instansi.id)
    with time_machine.travel(FETCHING):
        path = _file_link(client, token)
    with time_machine.travel(FETCHING + timedelta(days=2)):
        assert client.get(path).status_code == 403


def test_a_file_uploaded_through_the_worksheet_reaches_portalrb(app, client, world, storage):
    case = seed_proposal(world, world.unit, state="pembangunan")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    uploaded = client.post(
        f"/api/v1/cases/{case.id}/assessments/self/items/{TIM_A}/evidence",
        data={"file": (io.BytesIO(pdf), "sk-tim.pdf"), "expected_version": str(case.version)},
        headers=world.auth("coordinator"), content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    case.state = "reviu_tpn"  # submitted and approved since
    db.session.commit()
    token = integration_token(world.instansi.id)
    path = _file_link(client, token)
    got = client.get(path)
    assert got.status_code == 200 and got.data == pdf
    assert got.headers["Cache-Control"] == "private, no-store"
