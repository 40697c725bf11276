"""A case through the pages, by the people who do the work: the coordinator declares, builds,
fills the worksheet and submits; the inspector flags a question and returns the case; the
coordinator sees the flag; the TPN designates. Each test starts from the state it needs, set
up through the use cases; what it is about is done in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e import usecases as uc
from tests.e2e.conftest import no_horizontal_scroll, screenshot

FIRST_QUESTION = "pengungkit.manajemen_perubahan.penyusunan_tim_kerja.a"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def answer_on_page(page: Page, text: str, option: str, note: str) -> Locator:
    """Open the question's area on the worksheet page, choose an option and write a note;
    returns the question (not yet saved)."""
    question = page.locator("article.q", has_text=text)
    if not question.is_visible():
        area = page.locator("details.area", has=question)
        area.locator(":scope > summary").click()
    expect(question).to_be_visible()
    question.get_by_role("radio", name=re.compile(rf"^{option}\b")).check()
    question.get_by_label("Catatan", exact=True).fill(note)
    return question


def fire(page: Page, label: str, reason: str | None = None) -> None:
    """Press an action of the case page (its reason typed first when it needs one)."""
    action = page.locator("form.action", has=page.get_by_role("heading", name=label))
    if reason is not None:
        action.get_by_label("Alasan (wajib)").fill(reason)
    action.get_by_role("button", name=label).click()


def test_a_coordinator_declares_builds_and_submits_to_tpi(browsing, service, people):
    page = browsing.page_as(people.ids["coordinator"])
    page.goto("/")
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    page.get_by_role("link", name=re.compile("Kantor Pelayanan")).click()

    # The unit page: open a case.
    expect(page.get_by_role("heading", name="Buka kasus (pencanangan)")).to_be_visible()
    page.get_by_label("Target predikat").select_option("WBK")
    page.get_by_label("Regulasi").select_option("permenpanrb-52-2014")
    page.get_by_role("button", name="Buka kasus").click()
    expect(page.get_by_text("Kasus dibuka. Lengkapi data pencanangan.")).to_be_visible()
    case_id = int(re.search(r"/kasus/(\d+)$", page.url).group(1))  # type: ignore[union-attr]

    # Building cannot start before the declaration: every unmet condition is named.
    start = page.locator("#action-start_building")
    expect(start.locator(".unmet li").first).to_be_visible()

    # The declaration, with a mistake first: the error beside its field, what was typed kept.
    page.get_by_role("link", name=re.compile("Pencanangan")).click()
    page.get_by_label("Jumlah seluruh pegawai").fill("40")
    page.get_by_label("Jumlah pegawai yang menandatangani Pakta Integritas").fill("41")
    page.get_by_label("Pimpinan unit telah menandatangani Pakta Integritas").check()
    page.get_by_label("Pernyataan komitmen").fill("Kami berkomitmen membangun Zona Integritas.")
    page.get_by_label("Tim kerja ZI (satu nama per baris)").fill("Ketua Tim\nSekretaris\nAnggota")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("#pakta_signed-error")).to_be_visible()
    expect(page.get_by_label("Pernyataan komitmen")).to_have_value(
        "Kami berkomitmen membangun Zona Integritas.")
    page.get_by_label("Jumlah pegawai yang menandatangani Pakta Integritas").fill("38")
    screenshot(page, "pencanangan")
    page.get_by_role("button", name="Simpan").click()
    expect(page).to_have_url(re.compile(rf"/kasus/{case_id}$"))

    fire(page, "Mulai pembangunan")
    expect(page.locator("h1 .badge")).to_have_text("Pembangunan")

    # Not yet complete: "Ajukan ke TPI" names what is missing.
    submit = page.locator("#action-submit_to_tpi")
    expect(submit.locator(".unmet li").first).to_be_visible()

    # The worksheet: every question but the first answered already (set up); the first
    # answered on the page, with a note and an evidence file.
    with service.use_cases():
        questions = uc.answer_all(people, case_id, "self", "coordinator",
                                  except_items=(FIRST_QUESTION,))
    first = next(q for q in questions if q["id"] == FIRST_QUESTION)
    page.get_by_role("link", name="LKE: Penilaian mandiri").click()
    expect(page.get_by_role("heading", name=re.compile("Lembar Kerja Evaluasi"))).to_be_visible()
    score = page.locator("#skor")
    expect(score).to_contain_text("Belum dijawab: 1")
    expect(score).to_contain_text("Tanpa bukti dukung: 1")
    question = answer_on_page(page, first["text"], "Ya", "SK Tim ZI ditetapkan Kepala Kantor.")
    question.get_by_label("Unggah bukti dukung").set_input_files(
        {"name": "sk-tim-zi.pdf", "mimeType": "application/pdf", "buffer": PDF})
    screenshot(page, "lke-mandiri")
    question.get_by_role("button", name="Simpan").click()
    question = page.locator("article.q", has_text=first["text"])
    expect(question.get_by_role("status")).to_have_text("Tersimpan")
    expect(question.get_by_role("link", name="sk-tim-zi.pdf")).to_be_visible()
    expect(score).to_contain_text("Belum dijawab: 0")
    expect(score).to_contain_text("Tanpa bukti dukung: 0")
    href = question.get_by_role("link", name="sk-tim-zi.pdf").get_attribute("href")
    assert href is not None
    assert page.request.get(href).body() == PDF  # the file comes back as uploaded

    page.get_by_role("link", name="Kembali ke kasus").click()
    expect(submit.locator(".unmet")).to_have_count(0)
    screenshot(page, "kasus-lengkap")
    fire(page, "Ajukan ke TPI")
    expect(page.locator("h1 .badge")).to_have_text("Pengusulan")
    expect(page.get_by_role("status")).to_contain_text("Ajukan ke TPI")
    history = page.get_by_role("table").last
    expect(history).to_contain_text(people.emails["coordinator"])
    no_horizontal_scroll(page)


def test_the_tpn_finds_this_years_proposal_and_designates(browsing, service, people):
    with service.use_cases():
        case_id = uc.to_reviu_tpn(people)
        uc.answer_all(people, case_id, "tpn", "tpn")
    page = browsing.page_as(people.ids["tpn"])
    page.goto("/")
    expect(page.get_by_role("heading", name="Usulan menunggu reviu TPN tahun ini")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(rf"#{case_id}\b"))).to_be_visible()

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Nasional").click()
    expect(page.get_by_role("heading", name="Tinjauan nasional")).to_be_visible()
    proposals = page.get_by_role("table", name=re.compile("Usulan tahun"))
    row = proposals.get_by_role("row").filter(has_text=people.instansi_name)
    expect(row).to_contain_text("Reviu TPN")
    screenshot(page, "nasional")
    row.get_by_role("link", name=f"Buka kasus #{case_id}").click()
    expect(page).to_have_url(re.compile(rf"/kasus/{case_id}$"))

    fire(page, "Tetapkan predikat")
    expect(page.locator("h1 .badge")).to_have_text("Penetapan")
    page.goto("/nasional")
    expect(page.get_by_role("table", name=re.compile("Usulan tahun")).get_by_role("row")
           .filter(has_text=people.instansi_name)).to_contain_text("Penetapan")


def test_an_inspector_flags_a_question_and_returns_the_case_which_the_coordinator_sees(
        browsing, service, people):
    with service.use_cases():
        case_id = uc.to_pengusulan(people)
        first = next(q for q in uc.answer_all(people, case_id, "tpi", "inspectorate",
                                              except_items=(FIRST_QUESTION,))
                     if q["id"] == FIRST_QUESTION)
    inspector = browsing.page_as(people.ids["inspectorate"])
    inspector.goto("/")
    expect(inspector.get_by_role("heading", name="Menunggu penilaian TPI")).to_be_visible()
    inspector.get_by_role("link", name=re.compile(rf"#{case_id}\b")).click()
    inspector.get_by_role("link", name="LKE: Penilaian TPI").click()

    # The unit's answer beside the inspector's own; the question flagged with a note.
    question = answer_on_page(inspector, first["text"], "Tidak",
                              "SK Tim belum ditandatangani Kepala Kantor.")
    expect(question.locator(".unit")).to_contain_text("Jawaban unit: Ya")
    question.get_by_label("Tandai perlu perbaikan").check()
    question.get_by_role("button", name="Simpan").click()
    question = inspector.locator("article.q", has_text=first["text"])
    expect(question.get_by_role("status")).to_have_text("Tersimpan")
    flagged = inspector.locator("#ditandai")
    expect(flagged.get_by_role("heading")).to_have_text("Perlu perbaikan (1)")
    screenshot(inspector, "lke-tpi")

    inspector.get_by_role("link", name="Banding unit/TPI/TPN").click()
    expect(inspector.get_by_role("heading", level=1)).to_be_visible()
    screenshot(inspector, "lke-banding")

    inspector.goto(f"/kasus/{case_id}")
    fire(inspector, "Kembalikan ke unit (TPI)", reason="")  # a reason is required
    expect(inspector.locator("#action-tpi_return .field-error")).to_be_visible()
    fire(inspector, "Kembalikan ke unit (TPI)",
         reason="SK Tim ZI belum sah; lengkapi lalu ajukan kembali.")
    expect(inspector.locator("h1 .badge")).to_have_text("Pembangunan")

    # The coordinator: the flag on Beranda, on the worksheet, with the inspector's note.
    coordinator = browsing.page_as(people.ids["coordinator"])
    coordinator.goto("/")
    flags = coordinator.locator("section", has=coordinator.get_by_role(
        "heading", name="Pertanyaan yang ditandai untuk diperbaiki"))
    expect(flags).to_contain_text("1 pertanyaan ditandai oleh TPI")
    screenshot(coordinator, "beranda")
    flags.get_by_role("link", name=re.compile(rf"#{case_id}\b")).click()
    panel = coordinator.locator("#ditandai")
    expect(panel.get_by_role("heading")).to_have_text("Perlu perbaikan (1)")
    panel.get_by_role("link").first.click()
    question = coordinator.locator("article.q", has_text=first["text"])
    expect(question).to_be_visible()
    expect(question.locator(".flag")).to_contain_text(
        "Perlu perbaikan (TPI): SK Tim belum ditandatangani Kepala Kantor.")
    coordinator.goto(f"/kasus/{case_id}")
    expect(coordinator.get_by_role("table").last).to_contain_text(
        "SK Tim ZI belum sah; lengkapi lalu ajukan kembali.")
