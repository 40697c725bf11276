"""Sign-in for people: invitation → password → sign in, wrong passwords, throttling per
account and per address, single-use expiring links, CSRF, `next` kept on this site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from notifications.render import render
from notifications.settings import DeliverySettings
from tests.conftest import World
from tests.web.helpers import csrf_of
from tests.workflow.test_audit import run_cli
from web.throttle import EXTENSION, SignInThrottle
from workflow import passwords
from workflow.clock import utcnow
from workflow.db import db
from workflow.models import ApiToken, OutboxMessage, PasswordLink, User

PASSWORD = "kata-sandi-yang-panjang"


@pytest.fixture(autouse=True)
def fresh_throttle(app: Flask) -> Iterator[None]:
    """Counters of this test only (the app lives for the session); generous limits."""
    before = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = SignInThrottle("1000 per minute", "1000 per minute", "memory://")
    yield
    app.extensions[EXTENSION] = before


def link_token(user_id: int, template: str = "invitation") -> str:
    """The token of the newest password e-mail queued for the user."""
    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipient_user_id == user_id,
                                    OutboxMessage.template == template)
        .order_by(OutboxMessage.id.desc())).scalars().first()
    assert message is not None, f"no {template} queued"
    found = re.fullmatch(r"/sandi/([\w-]+)", message.context["link"])
    assert found
    return found.group(1)


def set_password(client: FlaskClient, token: str, password: str = PASSWORD,
                 confirm: str | None = None) -> tuple[int, str]:
    path = f"/sandi/{token}"
    response = client.post(path, data={"csrf_token": csrf_of(client, "/masuk"),
                                       "password": password,
                                       "password_confirm": password if confirm is None
                                       else confirm})
    return response.status_code, response.headers.get("Location", "") or response.get_data(
        as_text=True)


def sign_in(client: FlaskClient, email: str, password: str, **extra: str):
    return client.post("/masuk", data={"csrf_token": csrf_of(client, "/lupa-sandi"),
                                       "email": email, "password": password, **extra})


def with_password(world: World, who: str, password: str = PASSWORD) -> str:
    user = db.session.get(User, world.user_ids[who])
    user.password_hash = passwords.hash_password(password)
    db.session.commit()
    return user.email


def test_invitation_then_password_then_sign_in(app: Flask, client: FlaskClient) -> None:
    user = passwords.invite_new_user(None, "Baru@Uji.go.id", "tpn", name="Baru")
    assert db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).first() is None
    token = link_token(user.id)
    stored = db.session.execute(select(PasswordLink.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64  # only its SHA-256 is kept

    message = db.session.execute(select(OutboxMessage)).scalar_one()
    mail = render(message.template, message.language, message.context,
                  DeliverySettings.from_config(app.config))
    assert f"http://zi.test/sandi/{token}" in mail.text and "Undangan" in mail.subject

    page = client.get(f"/sandi/{token}")
    assert page.status_code == 200 and "baru@uji.go.id" in page.get_data(as_text=True)
    status, where = set_password(client, token)
    assert (status, where) == (302, "/")
    assert client.get("/").status_code == 200  # signed in by setting the password

    client.post("/keluar", data={"csrf_token": csrf_of(client)})
    assert client.get("/").status_code == 302
    response = sign_in(client, "BARU@uji.go.id ", PASSWORD)
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert client.get("/").status_code == 200


def test_a_wrong_password_and_an_unknown_address_read_the_same(
        client: FlaskClient, world: World) -> None:
    email = with_password(world, "coordinator")
    wrong = sign_in(client, email, "not-the-password")
    unknown = sign_in(client, "nobody@uji.go.id", PASSWORD)
    no_password = sign_in(client, "tpn@uji.go.id", PASSWORD)  # invited, never set one
    pages = [r.get_data(as_text=True).replace(email, "X").replace("nobody@uji.go.id", "X")
             .replace("tpn@uji.go.id", "X") for r in (wrong, unknown, no_password)]
    assert {r.status_code for r in (wrong, unknown, no_password)} == {401}
    assert "salah" in pages[0]
    strip = [re.sub(r'(value|content)="[^"]*"|"X-CSRFToken": "[^"]*"', "", page)
             for page in pages]  # the CSRF token differs
    assert strip[0] == strip[1] == strip[2]
    assert client.get("/").status_code == 302  # not signed in


def test_a_deactivated_user_cannot_sign_in(client: FlaskClient, world: World) -> None:
    email = with_password(world, "coordinator")
    db.session.get(User, world.user_ids["coordinator"]).active = False
    db.session.commit()
    assert sign_in(client, email, PASSWORD).status_code == 401
    assert client.get("/").status_code == 302


def test_throttled_per_account_then_429_even_with_the_right_password(
        app: Flask, client: FlaskClient, world: World) -> None:
    app.extensions[EXTENSION] = SignInThrottle("1000 per minute", "3 per 15 minutes",
                                               "memory://")
    email = with_password(world, "coordinator")
    for _ in range(3):
        assert sign_in(client, email, "wrong-password").status_code == 401
    refused = sign_in(client, email.upper(), PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Coba lagi dalam" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # another account from the same address is not affected
    other = with_password(world, "tpn")
    assert sign_in(client, other, PASSWORD).status_code == 302
    # an unknown address is throttled alike: the 429 does not tell which addresses exist
    anyone = app.test_client()
    for _ in range(3):
        assert sign_in(anyone, "nobody@uji.go.id", "wrong-password").status_code == 401
    assert sign_in(anyone, "nobody@uji.go.id", "wrong-password").status_code == 429


def test_throttled_per_client_address_across_accounts(
        app: Flask, client: FlaskClient, world: World) -> None:
    app.extensions[EXTENSION] = SignInThrottle("4 per 5 minutes", "1000 per minute",
                                               "memory://")
    email = with_password(world, "coordinator")
    for n in range(4):
        assert sign_in(client, f"guess{n}@uji.go.id", "wrong-password").status_code == 401
    assert sign_in(client, email, PASSWORD).status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post("/masuk", data={"csrf_token": csrf_of(elsewhere, "/masuk"),
                                              "email": email, "password": PASSWORD},
                              environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 302  # another address signs in


def test_a_successful_sign_in_forgets_the_accounts_failures(
        app: Flask, client: FlaskClient, world: World) -> None:
    app.extensions[EXTENSION] = SignInThrottle("1000 per minute", "3 per 15 minutes",
                                               "memory://")
    email = with_password(world, "coordinator")
    for _ in range(2):
        sign_in(client, email, "wrong-password")
    assert sign_in(client, email, PASSWORD).status_code == 302
    for _ in range(2):
        assert sign_in(client, email, "wrong-password").status_code == 401


def test_expired_and_reused_links_are_refused(client: FlaskClient, world: World) -> None:
    coordinator = db.session.get(User, world.user_ids["coordinator"])
    passwords.invite(None, coordinator, now=utcnow() - passwords.INVITE_TTL
                     - timedelta(minutes=1))
    expired = link_token(coordinator.id)
    response = client.get(f"/sandi/{expired}")
    assert response.status_code == 410 and "kedaluwarsa" in response.get_data(as_text=True)
    assert set_password(client, expired)[0] == 410

    passwords.invite(None, coordinator)
    token = link_token(coordinator.id)
    assert set_password(client, token)[0] == 302
    client.post("/keluar", data={"csrf_token": csrf_of(client)})
    again = client.get(f"/sandi/{token}")
    assert again.status_code == 410 and "sudah dipakai" in again.get_data(as_text=True)
    assert set_password(client, token, "another-long-password")[0] == 410
    assert client.get("/").status_code == 302
    assert client.get("/sandi/not-a-token").status_code == 410


def test_a_new_link_closes_the_earlier_one(client: FlaskClient, world: World) -> None:
    coordinator = db.session.get(User, world.user_ids["coordinator"])
    passwords.invite(None, coordinator)
    first = link_token(coordinator.id)
    passwords.request_reset("coordinator@uji.go.id")
    second = link_token(coordinator.id, "password_reset")
    assert client.get(f"/sandi/{first}").status_code == 410
    assert client.get(f"/sandi/{second}").status_code == 200


def test_a_short_or_mistyped_password_keeps_the_link(client: FlaskClient, world: World) -> None:
    coordinator = db.session.get(User, world.user_ids["coordinator"])
    passwords.invite(None, coordinator)
    token = link_token(coordinator.id)
    status, page = set_password(client, token, "pendek")
    assert status == 400 and "minimal 10 karakter" in page and 'id="password-error"' in page
    status, page = set_password(client, token, PASSWORD, "something-else-entirely")
    assert status == 400 and "tidak sama" in page
    assert set_password(client, token)[0] == 302  # still usable


def test_forgotten_password_answers_alike_for_known_and_unknown_addresses(
        client: FlaskClient, world: World) -> None:
    answers = []
    for email in ("coordinator@uji.go.id", "nobody@uji.go.id", "not an address"):
        response = client.post("/lupa-sandi", data={"csrf_token": csrf_of(client, "/masuk"),
                                                   "email": email})
        answers.append((response.status_code, re.sub(
            r'(value|content)="[^"]*"|"X-CSRFToken": "[^"]*"', "",
            response.get_data(as_text=True))))
    assert len(set(answers)) == 1 and answers[0][0] == 200
    queued = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [(m.template, m.recipient_email) for m in queued] == [
        ("password_reset", "coordinator@uji.go.id")]
    token = link_token(world.user_ids["coordinator"], "password_reset")
    assert set_password(client, token)[0] == 302


def test_forgotten_password_requests_are_throttled_per_address(
        app: Flask, client: FlaskClient) -> None:
    app.extensions[EXTENSION] = SignInThrottle("2 per 5 minutes", "1000 per minute",
                                               "memory://")
    token = csrf_of(client, "/masuk")
    for _ in range(2):
        assert client.post("/lupa-sandi", data={"csrf_token": token, "email": "a@uji.go.id"}
                           ).status_code == 200
    refused = client.post("/lupa-sandi", data={"csrf_token": token, "email": "a@uji.go.id"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_a_nul_in_a_form_field_is_a_400_page_not_a_500(client: FlaskClient) -> None:
    token = csrf_of(client, "/lupa-sandi")
    for path, data in (("/masuk", {"email": "a\x00@uji.go.id", "password": "x"}),
                       ("/lupa-sandi", {"email": "x\x00"})):
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_a_sign_in_without_the_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    email = with_password(world, "coordinator")
    response = client.post("/masuk", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("given", "goes"), [
    ("/kasus/3?tab=riwayat", "/kasus/3?tab=riwayat"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_is_followed_only_to_a_path_of_this_site(
        client: FlaskClient, world: World, given: str, goes: str) -> None:
    email = with_password(world, "coordinator")
    response = sign_in(client, email, PASSWORD, next=given)
    assert (response.status_code, response.headers["Location"]) == (302, goes)


def test_a_page_sends_to_sign_in_and_back(client: FlaskClient, world: World) -> None:
    email = with_password(world, "coordinator")
    first = client.get("/akun")
    assert first.headers["Location"] == "/masuk?next=/akun"
    assert 'name="next" value="/akun"' in client.get(first.headers["Location"]).get_data(
        as_text=True)
    assert sign_in(client, email, PASSWORD, next="/akun").headers["Location"] == "/akun"


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(
        app: Flask, client: FlaskClient, world: World, tmp_path) -> None:
    email = with_password(world, "coordinator")
    cookie = sign_in(client, email, PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    from api import create_app
    https = create_app({"PUBLIC_BASE_URL": "https://zi.instansi.go.id",
                        "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 32})
    assert https.config["SESSION_COOKIE_SECURE"] is True
    assert https.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_zi_user_add_invite_queues_the_invitation_and_prints_no_token(
        app: Flask, world: World) -> None:
    result = run_cli(app, "user", "add", "--email", "Undang@Uji.go.id", "--role", "coordinator",
                     "--unit", str(world.unit.id), "--instansi", str(world.instansi.id),
                     "--invite")
    assert result.exit_code == 0, result.output
    assert "invitation queued" in result.output
    user = db.session.execute(select(User).where(User.email == "undang@uji.go.id")).scalar_one()
    assert db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).first() is None
    token = link_token(user.id)
    assert token not in result.output
    refused = run_cli(app, "user", "add", "--email", "x@uji.go.id", "--role", "coordinator",
                      "--invite")
    assert refused.exit_code != 0 and "unit" in refused.output
    assert db.session.execute(select(OutboxMessage).where(
        OutboxMessage.recipient_email == "x@uji.go.id")).first() is None
