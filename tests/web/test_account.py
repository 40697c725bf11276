"""The account page: the language of pages and e-mails, a new password."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World
from tests.web.helpers import csrf_of
from web.throttle import EXTENSION, SignInThrottle
from workflow import passwords
from workflow.db import db
from workflow.models import User

OLD, NEW = "kata-sandi-lama-panjang", "kata-sandi-baru-panjang"


@pytest.fixture(autouse=True)
def fresh_throttle(app: Flask) -> Iterator[None]:
    before = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = SignInThrottle("1000 per minute", "3 per 15 minutes",
                                               "memory://")
    yield
    app.extensions[EXTENSION] = before


@pytest.fixture
def coordinator(page_client: Callable[[str], FlaskClient], world: World) -> FlaskClient:
    user = db.session.get(User, world.user_ids["coordinator"])
    user.password_hash = passwords.hash_password(OLD)
    db.session.commit()
    return page_client("coordinator")


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    return client.post("/akun/sandi", data={
        "csrf_token": csrf_of(client, "/akun"), "current_password": current,
        "new_password": new, "new_password_confirm": new if confirm is None else confirm})


def test_the_account_page_in_the_menu(coordinator: FlaskClient) -> None:
    html = coordinator.get("/").get_data(as_text=True)
    assert 'href="/akun"' in html
    page = coordinator.get("/akun").get_data(as_text=True)
    assert "coordinator@uji.go.id" in page and 'for="current_password"' in page


def test_the_language_setting_turns_the_pages_english(coordinator: FlaskClient,
                                                       world: World) -> None:
    response = coordinator.post("/akun/bahasa", data={"csrf_token": csrf_of(coordinator, "/akun"),
                                                     "language": "en"})
    assert response.status_code == 302
    assert db.session.get(User, world.user_ids["coordinator"]).language == "en"
    page = coordinator.get("/akun").get_data(as_text=True)
    assert 'lang="en"' in page and "Change password" in page and "Language saved." in page
    refused = coordinator.post("/akun/bahasa", data={
        "csrf_token": csrf_of(coordinator, "/akun"), "language": "xx"})
    assert refused.status_code == 400 and 'id="language-error"' in refused.get_data(as_text=True)


def test_changing_the_password_needs_the_current_one(
        app: Flask, coordinator: FlaskClient, world: World) -> None:
    wrong = change(coordinator, "not-the-current-one", NEW)
    assert wrong.status_code == 400
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    short = change(coordinator, OLD, "pendek")
    assert short.status_code == 400 and 'id="new_password-error"' in short.get_data(as_text=True)
    differ = change(coordinator, OLD, NEW, "something-else-entirely")
    assert differ.status_code == 400 and 'id="new_password_confirm-error"' in differ.get_data(
        as_text=True)
    assert change(coordinator, OLD, NEW).status_code == 302
    assert passwords.authenticate("coordinator@uji.go.id", NEW) is not None
    assert passwords.authenticate("coordinator@uji.go.id", OLD) is None


def test_guessing_the_current_password_is_throttled(coordinator: FlaskClient) -> None:
    for _ in range(3):
        assert change(coordinator, "a-wrong-guess-here", NEW).status_code == 400
    refused = change(coordinator, OLD, NEW)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert passwords.authenticate("coordinator@uji.go.id", OLD) is not None


def test_the_account_page_needs_sign_in(client: FlaskClient) -> None:
    assert client.get("/akun").headers["Location"] == "/masuk?next=/akun"


def test_a_new_password_ends_the_other_sessions_but_not_this_one(
        app: Flask, coordinator: FlaskClient, world: World) -> None:
    laptop = app.test_client()
    laptop.post("/masuk", data={"csrf_token": csrf_of(laptop, "/lupa-sandi"),
                                "email": "coordinator@uji.go.id", "password": OLD})
    assert laptop.get("/").status_code == 200
    assert change(coordinator, OLD, NEW).status_code == 302
    assert coordinator.get("/akun").status_code == 200  # the session that changed it goes on
    assert laptop.get("/").status_code == 302  # the one begun with the old password ends
