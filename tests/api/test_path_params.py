"""Issue 10: a malformed path value is 400 in the error format naming the parameter; a route
that does not exist at all stays 404; a well-formed id of no row is 404."""

from __future__ import annotations

import pytest

from api.schemas import MAX_INT


@pytest.mark.parametrize("path", [
    "/api/v1/cases/abc", "/api/v1/cases/-1", f"/api/v1/cases/{MAX_INT + 1}",
    "/api/v1/cases/99999999999999999999999", "/api/v1/cases/1.5", "/api/v1/cases/%C2%B2",
    "/api/v1/units/x/cases", "/api/v1/duties/0x10", "/api/v1/instansi/1e3/dashboard",
])
def test_a_malformed_id_in_the_path_is_400_naming_it(client, world, path):
    response = client.get(path, headers=world.auth("admin"))
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.json
    assert body["code"] == "validation_error" and body["message_en"]
    [field] = body["errors"]
    assert field.startswith("path.") and field.endswith("_id")


def test_two_malformed_ids_are_both_named(client, world):
    response = client.get("/api/v1/cases/a/evidence/b", headers=world.auth("admin"))
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"path.case_id", "path.evidence_id"}


def test_without_a_token_it_is_still_401_first(client):
    assert client.get("/api/v1/cases/abc").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/cases/1/nothing",
                                  "/api/v1/cases/abc/nothing", "/api/v2/cases/1"])
def test_a_route_that_does_not_exist_stays_404(client, world, path):
    response = client.get(path, headers=world.auth("admin"))
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_a_well_formed_id_of_no_row_is_404(client, world):
    for path in ("/api/v1/cases/0", f"/api/v1/cases/{MAX_INT}", "/api/v1/cases/007"):
        assert client.get(path, headers=world.auth("admin")).status_code == 404
