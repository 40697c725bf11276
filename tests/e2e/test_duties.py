"""Duties in the browser: the sweep gives a building unit its year-end report; the
coordinator submits it with a file, the inspector sees it on the instansi's dashboard and
accepts it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import usecases as uc
from tests.e2e.conftest import screenshot

REPORT = "Laporan akhir tahun pembangunan ZI"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_coordinator_submits_a_report_and_the_inspector_accepts_it(browsing, service, people):
    with service.use_cases():
        case_id = uc.open_case(people)
        uc.declare_and_build(people, case_id)
    service.zi("sweep")

    coordinator = browsing.page_as(people.ids["coordinator"])
    coordinator.goto("/")
    coordinator.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Tugas").click()
    expect(coordinator.get_by_role("heading", name="Tugas", level=1)).to_be_visible()
    row = coordinator.get_by_role("row").filter(has_text=REPORT)
    expect(row).to_contain_text(re.compile("terbuka", re.I))
    screenshot(coordinator, "tugas")
    row.get_by_role("link", name=REPORT).click()
    coordinator.get_by_label("Laporan", exact=True).fill("Pembangunan ZI tahun ini: tim, "
                                                         "sosialisasi, survei pelayanan.")
    coordinator.get_by_label(re.compile("Berkas bukti")).set_input_files(
        {"name": "laporan-akhir-tahun.pdf", "mimeType": "application/pdf", "buffer": PDF})
    coordinator.get_by_role("button", name="Serahkan").click()
    expect(coordinator.locator(".facts .badge")).to_have_text(re.compile("diserahkan", re.I))
    expect(coordinator.get_by_role("link", name="laporan-akhir-tahun.pdf")).to_be_visible()
    duty_url = coordinator.url

    inspector = browsing.page_as(people.ids["inspectorate"])
    inspector.goto("/")
    inspector.get_by_role("navigation", name="Menu utama").get_by_role(
        "link", name="Dasbor instansi").click()
    expect(inspector.get_by_role("heading", name=people.instansi_name)).to_be_visible()
    expect(inspector.get_by_role("table", name="Kasus per status")).to_contain_text(
        "Pembangunan")
    screenshot(inspector, "instansi")
    inspector.goto(duty_url)
    expect(inspector.get_by_role("link", name="laporan-akhir-tahun.pdf")).to_be_visible()
    inspector.get_by_label("Catatan (tidak wajib)").fill("Diterima, lengkap.")
    inspector.get_by_role("button", name="Terima laporan").click()
    expect(inspector.locator(".facts .badge")).to_have_text(re.compile("diterima", re.I))
    expect(inspector.locator(".facts")).to_contain_text("Diterima, lengkap.")
