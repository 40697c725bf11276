"""Sign-in in a real browser: an invitation e-mail → a password → signed in; throttling after
wrong passwords; an admin inviting someone from the pages; /api/docs with the network cut
off (the network guard fails the test on any request to another host)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import Browsing, Service, no_horizontal_scroll, screenshot

PASSWORD = "Sandi-Uji-e2e-2026!"


def choose_password(page, link: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(link)
    expect(page.get_by_role("heading", name="Buat kata sandi")).to_be_visible()
    page.get_by_label("Kata sandi baru").fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Simpan dan masuk").click()


def sign_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/masuk")
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_an_invitation_e_mail_leads_to_a_password_and_a_signed_in_person(
        browsing: Browsing, service: Service, people) -> None:  # type: ignore[no-untyped-def]
    email = f"undangan.{uuid.uuid4().hex[:8]}@uji.go.id"
    service.zi("user", "add", "--email", email, "--role", "coordinator",
               "--unit", str(people.unit_id), "--instansi", str(people.instansi_id),
               "--name", "Ibu Undangan", "--invite")
    service.deliver()
    link = service.mail.link_to(email, "/sandi/")
    assert link.startswith(service.base_url + "/sandi/")

    page = browsing.page(375, 800)
    page.goto(link)
    no_horizontal_scroll(page)
    screenshot(page, "sandi")
    choose_password(page, link)
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    expect(page.get_by_text("Kata sandi tersimpan")).to_be_visible()

    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(re.compile(r"/masuk"))
    screenshot(page, "masuk")
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()

    # the link is used up
    page.goto(link)
    expect(page.get_by_role("heading", name="Tautan tidak berlaku")).to_be_visible()


def test_repeated_wrong_passwords_are_throttled(browsing: Browsing, service: Service,
                                                people) -> None:  # type: ignore[no-untyped-def]
    email = people.emails["other_coordinator"]
    page = browsing.page()
    for _ in range(10):  # ZI_SIGNIN_ACCOUNT_FAILURE_LIMIT: 10 per 15 minutes
        sign_in(page, email, "bukan-sandinya-123")
        expect(page.get_by_role("alert")).to_contain_text("salah")
    with page.expect_response(lambda r: r.url.endswith("/masuk")
                              and r.request.method == "POST") as answer:
        sign_in(page, email, "bukan-sandinya-123")
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    expect(page.get_by_role("heading", name="Terlalu banyak percobaan")).to_be_visible()


def test_an_admin_invites_a_coordinator_from_the_pages(
        browsing: Browsing, service: Service, people) -> None:  # type: ignore[no-untyped-def]
    email = f"baru.{uuid.uuid4().hex[:8]}@uji.go.id"
    page = browsing.page_as(people.ids["admin"])
    page.goto("/")
    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Pengguna").click()
    page.get_by_role("link", name="Undang pengguna").click()
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_label("Nama").fill("Pak Baru")
    page.get_by_label("Peran").select_option("coordinator")
    page.get_by_label("Instansi").select_option(str(people.instansi_id))
    with service.use_cases():
        from workflow.db import db
        from workflow.models import Unit

        code = db.session.get(Unit, people.unit_id).code
    page.get_by_label("Kode unit yang dikoordinasi").fill(code)
    page.get_by_role("button", name="Kirim undangan").click()
    expect(page.get_by_text("masuk antrean e-mail")).to_be_visible()
    screenshot(page, "admin-pengguna")
    service.deliver()
    other = browsing.page()
    choose_password(other, service.mail.link_to(email, "/sandi/"))
    expect(other.get_by_role("heading", name="Beranda")).to_be_visible()


def test_the_api_docs_render_their_operations_offline(browsing: Browsing) -> None:
    page = browsing.page()
    page.goto("/api/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator('[data-path="/api/v1/cases/{case_id}"]').first).to_be_visible()
    screenshot(page, "api-docs")
