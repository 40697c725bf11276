"""Hostile input gets a 4xx in the documented error format, never a 500 (issue 9)."""

from __future__ import annotations

import io
import json

import pytest

from tests.api.helpers import GOOD_DECLARATION, get_case, open_case, put_declaration
from workflow.db import db
from workflow.models import Declaration


def raw(client, world, method, path, body: str | bytes, who="coordinator", **headers):
    return client.open(path, method=method, data=body,
                       headers={"Content-Type": "application/json", **world.auth(who),
                                **headers})


def declaration(client, world, case, **changes):
    version = get_case(client, world, case["id"])["version"]
    body = {**GOOD_DECLARATION, "expected_version": version, **changes}
    return raw(client, world, "PUT", f"/api/v1/cases/{case['id']}/declaration",
               json.dumps(body, default=float))  # escapes a lone surrogate as \udXXX


def assert_error(response, status, field=None):
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert {"code", "message", "message_en"} <= set(response.json), response.json
    if field is not None:
        assert field in response.json.get("errors", {}), response.json


@pytest.mark.parametrize("text", ["nul\x00here", "lone \ud800 surrogate", "\udfff"])
def test_nul_and_lone_surrogates_are_refused_naming_the_field(client, world, text):
    case = open_case(client, world)
    assert_error(declaration(client, world, case, commitment_statement=text), 400,
                 "commitment_statement")
    assert_error(declaration(client, world, case, team=["ok", text]), 400, "team.1")
    assert db.session.get(Declaration, case["id"]) is None


def test_a_lone_surrogate_escaped_in_the_json_text_is_refused(client, world):
    case = open_case(client, world)
    version = get_case(client, world, case["id"])["version"]
    body = json.dumps({**GOOD_DECLARATION, "expected_version": version})
    body = body.replace("Kami berkomitmen.", "\\ud800")
    assert_error(raw(client, world, "PUT", f"/api/v1/cases/{case['id']}/declaration", body),
                 400, "commitment_statement")


def test_deep_nesting_huge_integers_and_bad_utf8_are_400(client, world):
    case = open_case(client, world)
    url = f"/api/v1/cases/{case['id']}/declaration"
    assert_error(raw(client, world, "PUT", url, "[" * 100_000 + "]" * 100_000), 400)
    assert_error(raw(client, world, "PUT", url, '{"a":' * 50 + "1" + "}" * 50), 400)
    assert_error(raw(client, world, "PUT", url, '{"staff_total": ' + "9" * 5000 + "}"), 400)
    assert_error(raw(client, world, "PUT", url, '{"staff_total": 1' + "0" * 5000 + ".5}"), 400)
    assert_error(raw(client, world, "PUT", url, b'{"commitment_statement": "\xff\xfe"}'), 400)
    assert_error(raw(client, world, "PUT", url, '{"staff_total": NaN}'), 400)


def test_strict_types_nothing_truncated_or_guessed(client, world):
    case = open_case(client, world)
    assert_error(declaration(client, world, case, staff_total=40.5), 400, "staff_total")
    assert_error(declaration(client, world, case, staff_total="40"), 400, "staff_total")
    assert_error(declaration(client, world, case, head_signed="yes"), 400, "head_signed")
    assert_error(declaration(client, world, case, head_signed=1), 400, "head_signed")
    assert_error(declaration(client, world, case, expected_version=1.0), 400,
                 "expected_version")
    assert db.session.get(Declaration, case["id"]) is None
    assert declaration(client, world, case).status_code == 200


def test_field_lengths_are_bounded(client, world):
    case = open_case(client, world)
    assert_error(declaration(client, world, case, commitment_statement="x" * 20_001), 400,
                 "commitment_statement")
    assert_error(declaration(client, world, case, team=["a"] * 201), 400, "team")
    assert declaration(client, world, case, commitment_statement="x" * 20_000
                       ).status_code == 200


def test_a_large_body_is_413_before_it_is_read_even_without_a_token(app, client, world):
    limit = app.config["MAX_BODY_BYTES"]
    case = open_case(client, world)
    url = f"/api/v1/cases/{case['id']}/declaration"
    big = b"x" * (limit + 1)
    assert_error(client.put(url, data=big, headers={"Content-Type": "application/json"}), 413)
    assert_error(raw(client, world, "PUT", url, big), 413)

    class Unread:
        """A body that fails the test if anyone reads it."""

        def read(self, *args):
            raise AssertionError("the body was read")

    environ = {"CONTENT_LENGTH": str(200 * 1024 * 1024), "CONTENT_TYPE": "application/json",
               "wsgi.input": Unread()}
    response = client.put(url, environ_overrides=environ)
    assert_error(response, 413)
    assert put_declaration(client, world, case).status_code == 200


def test_pages_ids_and_query_text_are_bounded(client, world):
    assert_error(client.get("/api/v1/duties?page=99999999999999999",
                            headers=world.auth("admin")), 400, "page")
    assert_error(client.get("/api/v1/duties?page=0", headers=world.auth("admin")), 400)
    assert client.get("/api/v1/duties?page=1000000", headers=world.auth("admin")
                      ).status_code == 200
    assert_error(client.get("/api/v1/units?instansi_id=99999999999999999999",
                            headers=world.auth("admin")), 400)
    assert_error(client.get("/api/v1/cases/99999999999999999999",
                            headers=world.auth("admin")), 400, "path.case_id")
    assert_error(client.get("/api/v1/rubrics/abc%00def", headers=world.auth("admin")), 400,
                 "path")
    assert_error(client.get("/api/v1/duties?state=%00", headers=world.auth("admin")), 400,
                 "query.state")


def test_security_headers(client, world):
    for response in (client.get("/api/v1/units", headers=world.auth("admin")),
                     client.get("/api/v1/units"), client.get("/api/openapi.json")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    docs = client.get("/api/docs")
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]


def test_failed_authentications_are_throttled_per_address(migrated_app, world):
    from api import create_app

    app = create_app({**migrated_app.config, "AUTH_FAILURE_LIMIT": "3 per hour"})
    client = app.test_client()
    elsewhere = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(3):
        assert_error(client.get("/api/v1/units", headers={"Authorization": "Bearer salah"}),
                     401)
    throttled = client.get("/api/v1/units", headers=world.auth("admin"))
    assert_error(throttled, 429)
    assert 3000 <= int(throttled.headers["Retry-After"]) <= 3600
    assert client.get("/api/v1/units", headers=world.auth("admin"),
                      environ_overrides=elsewhere).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_oversized_upload_is_413_before_it_is_read_and_a_large_one_is_not(app, client,
                                                                           world):
    case = open_case(client, world)
    url = f"/api/v1/cases/{case['id']}/assessments/self/items/x/evidence"
    limit = app.config["EVIDENCE_MAX_BYTES"]
    environ = {"CONTENT_LENGTH": str(limit * 2), "wsgi.input": None,
               "CONTENT_TYPE": "multipart/form-data; boundary=x"}
    response = client.post(url, environ_overrides=environ)  # no token either
    assert_error(response, 413, "file")
    assert response.json["code"] == "file_too_large"
    # Above the JSON limit but within the upload's: left to the upload's own checks.
    big = io.BytesIO(b"%PDF-1.4\n" + b"a" * app.config["MAX_BODY_BYTES"])
    answered = client.post(url, data={"file": (big, "bukti.pdf"), "expected_version": "1"},
                           content_type="multipart/form-data",
                           headers=world.auth("coordinator"))
    assert answered.status_code in (400, 404), answered.json  # no file part, unknown item
