"""PortalRB's three endpoints: the README's fields, integration tokens only, its error format."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import request
from flask_limiter import Limiter
from sqlalchemy.exc import OperationalError

from tests.api.helpers import REG_52
from tests.api.portalrb_setup import (
    FETCHING,
    TAHUN,
    bearer,
    integration_token,
    proposal_by_flow,
    seed_proposal,
)
from tests.conftest import _unit
from workflow import integration_tokens
from workflow.clock import utcnow
from workflow.db import db
from workflow.lke import portalrb_feed

WBK = "/api/portalrb/pengusulan/unit-wbk"
WBBM = "/api/portalrb/pengusulan/unit-wbbm"
ENDPOINTS = (WBK, WBBM, "/api/portalrb/lke/jawaban-unit/U1")


def jawaban(code: str, tahun: int | None = TAHUN) -> str:
    return f"/api/portalrb/lke/jawaban-unit/{code}" + (f"?tahun={tahun}" if tahun else "")


def portalrb_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"error", "code", "message"}, body
    assert body["error"] is True and body["code"] == code and body["message"]


def test_a_proposal_taken_through_the_process_is_listed_and_served(client, world):
    proposal_by_flow(client, world)
    token = integration_token(world.instansi.id)
    with time_machine.travel(FETCHING):  # no ?tahun: the current year in Jakarta
        listed = client.get(WBK, headers=bearer(token))
        assert client.get(WBBM, headers=bearer(token)).json == {"tahun": TAHUN, "units": []}
        got = client.get(jawaban("U1", None), headers=bearer(token))
    assert listed.status_code == 200, listed.json
    assert listed.json == {"tahun": TAHUN, "units": [
        {"id": "U1", "nama": "Unit U1", "kategori": "WBK", "afirmasi": False}]}
    assert got.status_code == 200, got.json
    assert got.mimetype == "application/json"
    body = got.json
    assert list(body) == ["unit_id", "nama_unit", "tahun", "answers"]
    assert (body["unit_id"], body["nama_unit"], body["tahun"]) == ("U1", "Unit U1", TAHUN)
    assert [a["soal_id"] for a in body["answers"]] == list(range(1, 128))
    first = body["answers"][0]
    assert first == {
        "soal_id": 1, "jawaban_unit": "Ya", "jawaban_tpi": "Ya",
        "catatan_unit": "Catatan pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a",
        "bukti_dukung_unit": "https://bukti.example.go.id/"
                             "pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a.pdf",
        "catatan_tpi": "Catatan pemenuhan.manajemen_perubahan.penyusunan_tim_kerja.a"}


def test_the_lists_hold_only_approved_90_2021_proposals_of_the_year(app, client, world):
    u3, u4, u5, u6 = (_unit(world.instansi, code) for code in ("U3", "U4", "U5", "U6"))
    db.session.commit()
    seed_proposal(world, world.unit, "WBK", "reviu_tpn")
    seed_proposal(world, world.other_unit, "WBBM", "penetapan")
    seed_proposal(world, u3, "WBK", "pengusulan")  # not yet approved by the TPI
    seed_proposal(world, u4, "WBK", "reviu_tpn", regulation=REG_52)  # never listed
    seed_proposal(world, u5, "WBK", "reviu_tpn", year=TAHUN - 1)
    seed_proposal(world, u6, "WBK", "reviu_tpn", rubric="lke-portalrb-2026")
    seed_proposal(world, world.foreign_unit, "WBK", "reviu_tpn")
    u6.afirmasi = True
    db.session.commit()
    token = integration_token(world.instansi.id)
    wbk = client.get(f"{WBK}?tahun={TAHUN}", headers=bearer(token)).json
    assert wbk == {"tahun": TAHUN, "units": [
        {"id": "U1", "nama": "Unit U1", "kategori": "WBK", "afirmasi": False},
        {"id": "U6", "nama": "Unit U6", "kategori": "WBK-AFIRMASI", "afirmasi": True}]}
    wbbm = client.get(f"{WBBM}?tahun={TAHUN}", headers=bearer(token)).json
    assert wbbm["units"] == [{"id": "U2", "nama": "Unit U2", "kategori": "WBBM",
                              "afirmasi": False}]
    last_year = client.get(f"{WBK}?tahun={TAHUN - 1}", headers=bearer(token)).json
    assert [u["id"] for u in last_year["units"]] == ["U5"]
    for code in ("U1", "U2", "U6"):
        served = client.get(jawaban(code), headers=bearer(token))
        assert served.status_code == 200, (code, served.json)
        assert len(served.json["answers"]) == 127
    for code in ("U3", "U4", "U5"):
        portalrb_error(client.get(jawaban(code), headers=bearer(token)), 404, "DATA_NOT_FOUND")


def test_answers_of_the_worksheet_on_portalrbs_own_master_list(client, world):
    seed_proposal(world, world.unit, rubric="lke-portalrb-2026")
    token = integration_token(world.instansi.id)
    answers = client.get(jawaban("U1"), headers=bearer(token)).json["answers"]
    assert [a["soal_id"] for a in answers] == list(range(1, 128))
    assert answers[87]["jawaban_unit"] == "7"  # soal 88 is a count
    assert answers[0]["jawaban_unit"] == "Tidak" and answers[1]["jawaban_unit"] == "C"


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwdw==", "Bearer zirb_nonsense"])
def test_no_valid_integration_token_is_401(client, world, header):
    headers = {"Authorization": header} if header else {}
    for path in ENDPOINTS:
        response = client.get(path, headers=headers)
        portalrb_error(response, 401, "UNAUTHORIZED")
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_users_token_is_refused_there_and_an_integration_token_everywhere_else(client, world):
    seed_proposal(world, world.unit)
    for who in ("admin", "inspectorate", "coordinator", "tpn"):
        for path in ENDPOINTS:
            portalrb_error(client.get(path, headers=world.auth(who)), 401, "UNAUTHORIZED")
    token = integration_token(world.instansi.id)
    for path in ("/api/v1/units", f"/api/v1/instansi/{world.instansi.id}", "/api/v1/rubrics"):
        refused = client.get(path, headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json["code"] == "unauthenticated"  # the rest keeps its own format


def test_expired_and_revoked_tokens_are_refused(client, world):
    seed_proposal(world, world.unit)
    expiring = integration_token(world.instansi.id, days=1)
    revoked = integration_token(world.instansi.id)
    assert client.get(jawaban("U1"), headers=bearer(expiring)).status_code == 200
    row = integration_tokens.authenticate(revoked)
    assert row is not None
    integration_tokens.revoke(row.id)
    portalrb_error(client.get(WBK, headers=bearer(revoked)), 401, "UNAUTHORIZED")
    with time_machine.travel(utcnow() + timedelta(days=1, seconds=1)):
        portalrb_error(client.get(WBK, headers=bearer(expiring)), 401, "UNAUTHORIZED")


def test_another_instansis_unit_is_403_whether_or_not_it_exists(client, world):
    seed_proposal(world, world.foreign_unit)
    token = integration_token(world.instansi.id)
    theirs = client.get(jawaban("F1"), headers=bearer(token))
    nobodys = client.get(jawaban("NOPE"), headers=bearer(token))
    portalrb_error(theirs, 403, "FORBIDDEN")
    portalrb_error(nobodys, 403, "FORBIDDEN")
    assert theirs.get_data() == nobodys.get_data()
    foreign = integration_token(world.foreign_unit.instansi_id)
    assert client.get(jawaban("F1"), headers=bearer(foreign)).status_code == 200
    assert client.get(f"{WBK}?tahun={TAHUN}", headers=bearer(token)).json["units"] == []


@pytest.mark.parametrize("query", ["tahun=abc", "tahun=1999", "tahun=2101", "tahun=2026.5"])
def test_a_bad_year_is_422_invalid_request(client, world, query):
    token = integration_token(world.instansi.id)
    for path in ENDPOINTS:
        portalrb_error(client.get(f"{path}?{query}", headers=bearer(token)), 422,
                       "INVALID_REQUEST")


def test_each_token_has_its_own_rate_limit(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PORTALRB_RATE_LIMIT", "3 per hour")
    first, second = integration_token(world.instansi.id), integration_token(world.instansi.id)
    for _ in range(3):
        assert client.get(WBK, headers=bearer(first)).status_code == 200
    limited = client.get(WBK, headers=bearer(first))
    portalrb_error(limited, 429, "RATE_LIMITED")
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get(WBK, headers=bearer(second)).status_code == 200
    # the rest of the API is not limited by it
    for _ in range(5):
        assert client.get("/api/v1/units", headers=world.auth("admin")).status_code == 200


def test_the_rate_limiter_runs_under_portalrbs_prefix_only(client, world, monkeypatch):
    """Flask-Limiter hooks every request of the app; its only limit is PortalRB's, so the rest
    of the API does not pay for looking for limits."""
    looked: list[str] = []
    identify = Limiter.identify_request

    def counted(self: Limiter) -> str:
        looked.append(request.path)
        return identify(self)

    monkeypatch.setattr(Limiter, "identify_request", counted)
    answered = client.get("/api/v1/units", headers=world.auth("admin"))
    assert answered.status_code == 200 and looked == []
    assert "X-RateLimit-Remaining" not in answered.headers
    served = client.get(WBK, headers=bearer(integration_token(world.instansi.id)))
    assert served.status_code == 200 and looked == [WBK]
    assert int(served.headers["X-RateLimit-Remaining"]) >= 0


def test_an_unexpected_failure_is_500_in_portalrbs_format(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(portalrb_feed, "unit_list_body", broken)
    token = integration_token(world.instansi.id)
    response = client.get(WBK, headers=bearer(token))
    portalrb_error(response, 500, "INTERNAL_SERVER_ERROR")
    assert "fire" not in response.get_data(as_text=True)


@pytest.mark.parametrize("where", ["token lookup", "feed"])
def test_a_database_outage_is_503_in_portalrbs_format_with_retry_after(
        app, client, world, monkeypatch, where):
    """Issue 10: PortalRB retries a 5xx; the body stays its own, not ours."""
    token = integration_token(world.instansi.id)
    down = OperationalError("SELECT 1", {}, Exception("connection to server failed"))

    def broken(*args, **kwargs):
        raise down

    monkeypatch.setitem(app.config, "RETRY_AFTER_SECONDS", 11)
    if where == "token lookup":
        monkeypatch.setattr(integration_tokens, "authenticate", broken)
    else:
        monkeypatch.setattr(portalrb_feed, "unit_list_body", broken)
    response = client.get(WBK, headers=bearer(token))
    portalrb_error(response, 503, "SERVICE_UNAVAILABLE")
    # at least ours; Flask-Limiter's header may push it to the end of the token's window
    assert int(response.headers["Retry-After"]) >= 11


def test_an_unknown_path_under_the_prefix_answers_in_portalrbs_format(client, world):
    token = integration_token(world.instansi.id)
    portalrb_error(client.get("/api/portalrb/lke/jawaban-unit/", headers=bearer(token)), 404,
                   "DATA_NOT_FOUND")
    posted = client.post(WBK, headers=bearer(token))
    portalrb_error(posted, 405, "METHOD_NOT_ALLOWED")
    assert posted.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_the_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/openapi.json").json
    for path in ("/api/portalrb/pengusulan/unit-wbk", "/api/portalrb/pengusulan/unit-wbbm",
                 "/api/portalrb/lke/jawaban-unit/{unit_id}"):
        assert set(spec["paths"][path]["get"]["responses"]) >= {"200", "401", "422", "429"}
