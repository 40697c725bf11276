"""The case pages in a real browser on a phone-sized window: a coordinator opens a case from
the unit page, fills the declaration and starts building; the notice e-mail's link opens the
case page (another unit's pages: tests/e2e/test_scope.py)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import Browsing, Service, no_horizontal_scroll, screenshot

PHONE = {"width": 375, "height": 812}


def test_a_coordinator_opens_declares_and_starts_building_on_a_phone(
        browsing: Browsing, people: Any, service: Service) -> None:
    page = browsing.page_as(people.ids["coordinator"], **PHONE)
    refused: list[str] = []  # what the pages' own policy (CSP) blocked
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto("/")
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    no_horizontal_scroll(page)
    page.get_by_role("link", name=re.compile(r"^Kantor Pelayanan ")).click()
    expect(page.get_by_role("heading", name="Data unit")).to_be_visible()
    page.get_by_label("Regulasi").select_option("permenpanrb-52-2014")
    page.get_by_label("Tahun").fill("2026")
    page.get_by_role("button", name="Buka kasus").click()

    expect(page).to_have_url(re.compile(r"/kasus/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_text("Data pencanangan belum diisi")).to_be_visible()
    expect(page.locator("svg.diagram")).to_be_visible()
    no_horizontal_scroll(page)  # the diagram scrolls in its own box
    page.get_by_role("link", name=re.compile(r"^Pencanangan")).click()
    page.get_by_label("Jumlah seluruh pegawai").fill("40")
    page.get_by_label("Jumlah pegawai yang menandatangani Pakta Integritas").fill("50")
    page.get_by_label("Pimpinan unit telah menandatangani Pakta Integritas").check()
    page.get_by_label("Pernyataan komitmen").fill("Kami berkomitmen.")
    page.get_by_label("Tim kerja ZI (satu nama per baris)").fill("Ketua Tim\nAnggota")
    page.get_by_role("button", name="Simpan").click()
    # more signatories than staff: said beside the field, what was typed kept
    expect(page.locator("#pakta_signed-error")).to_have_text("melebihi staff_total")
    expect(page.get_by_label("Pernyataan komitmen")).to_have_value("Kami berkomitmen.")
    page.get_by_label("Jumlah pegawai yang menandatangani Pakta Integritas").fill("30")
    page.get_by_role("button", name="Simpan").click()

    expect(page.get_by_text("Data pencanangan disimpan.")).to_be_visible()
    expect(page.get_by_text("Data pencanangan belum diisi")).to_have_count(0)
    page.get_by_role("button", name="Mulai pembangunan").click()
    expect(page.get_by_text("Mulai pembangunan: berhasil.")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Pembangunan")
    no_horizontal_scroll(page)
    screenshot(page, "kasus")
    assert not refused

    service.deliver()  # the inspectorate is told; the e-mail's link opens the case page
    link = service.mail.link_to(people.emails["inspectorate"], f"/kasus/{case_id}")
    inspector = browsing.page_as(people.ids["inspectorate"], **PHONE)
    inspector.goto(link)
    expect(inspector.get_by_role("heading", name=re.compile("Kasus WBK 2026"))).to_be_visible()
    expect(inspector.get_by_role("button", name="Tarik dari proses")).to_be_visible()

