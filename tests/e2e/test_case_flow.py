"""A case through the pages, by the people who do the work: the coordinator declares, builds,
fills the worksheet and submits; the inspector flags a question and returns the case; the
coordinator sees the flag; the TPN designates. Each test starts from the state it needs, set
up through the use cases; what it is about is done in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e import usecases as uc
from tests.e2e.conftest import screenshot


def fire(page: Page, label: str, reason: str | None = None) -> None:
    """Press an action of the case page (its reason typed first when it needs one)."""
    action = page.locator("form.action", has=page.get_by_role("heading", name=label))
    if reason is not None:
        action.get_by_label("Alasan (wajib)").fill(reason)
    action.get_by_role("button", name=label).click()


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
