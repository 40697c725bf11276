"""A forgotten password in a real browser: the reset link by e-mail, a new password, the old
one refused (the invitation and the throttle: test_signin.py)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.usecases import set_password


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/masuk")
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_a_forgotten_password_is_reset_by_an_e_mailed_link(browsing, service, people):
    email = people.emails["inspectorate"]
    with service.use_cases():
        set_password(people.ids["inspectorate"], PASSWORD)
    page = browsing.page()
    page.goto("/masuk")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_role("button", name="Kirim tautan").click()
    expect(page.get_by_role("heading", name="Periksa e-mail Anda")).to_be_visible()
    service.deliver()
    page.goto(service.mail.link_to(email, "/sandi/"))
    new_password = "Sandi-Baru-e2e-2026?"
    page.get_by_label("Kata sandi baru").fill(new_password)
    page.get_by_label("Ulangi kata sandi").fill(new_password)
    page.get_by_role("button", name="Simpan dan masuk").click()
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()

    fresh = browsing.page()
    sign_in(fresh, email, PASSWORD)  # the old password no longer opens the account
    expect(fresh.get_by_role("alert")).to_contain_text("kata sandi salah")
    sign_in(fresh, email, new_password)
    expect(fresh.get_by_role("heading", name="Beranda")).to_be_visible()
