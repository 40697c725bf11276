"""The pages' frame: signed-in only, CSRF on every form, deactivated people signed out."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.conftest import World
from tests.web.helpers import csrf_of
from workflow.db import db
from workflow.models import User


def test_home_needs_sign_in(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/masuk")


def test_home_in_indonesian_for_a_signed_in_coordinator(
        page_client: Callable[[str], FlaskClient]) -> None:
    response = page_client("coordinator").get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Beranda" in html and 'lang="id"' in html
    assert "https://" not in html  # nothing loaded from another host


def test_a_form_post_without_the_csrf_token_is_refused(
        page_client: Callable[[str], FlaskClient]) -> None:
    client = page_client("coordinator")
    assert client.post("/keluar").status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    token = csrf_of(client)
    assert client.post("/keluar", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302  # signed out


def test_a_deactivated_user_is_signed_out_at_the_next_request(
        page_client: Callable[[str], FlaskClient], world: World) -> None:
    client = page_client("coordinator")
    assert client.get("/").status_code == 200
    db.session.get(User, world.user_ids["coordinator"]).active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_the_frame_in_english_for_a_user_who_chose_it(
        page_client: Callable[[str], FlaskClient], world: World) -> None:
    db.session.get(User, world.user_ids["coordinator"]).language = "en"
    db.session.commit()
    html = page_client("coordinator").get("/").get_data(as_text=True)
    assert 'lang="en"' in html and ">Home<" in html and "Sign out" in html


def test_an_unexpected_error_on_a_page_is_a_page_not_json_or_a_traceback(
        page_client: Callable[[str], FlaskClient], monkeypatch, caplog) -> None:
    def broken(_person):
        raise RuntimeError("boom")

    monkeypatch.setattr("workflow.inbox.coordinator_cases", broken)
    response = page_client("coordinator").get("/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Terjadi kesalahan pada server" in html and "boom" not in html
    assert "unhandled error on a page" in caplog.text


def test_a_database_outage_on_a_page_is_a_503_page_with_retry_after(
        page_client: Callable[[str], FlaskClient], monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    def down(_person):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("workflow.inbox.coordinator_cases", down)
    response = page_client("coordinator").get("/")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"]
    assert "Basis data sedang tidak tersedia" in response.get_data(as_text=True)
