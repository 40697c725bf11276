"""The main pages on a phone (375 px wide): nothing scrolls sideways, every page says what
it is, and the menu is reachable."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e import usecases as uc
from tests.e2e.conftest import no_horizontal_scroll, screenshot

PHONE = {"width": 375, "height": 740}


def test_the_main_pages_fit_a_375_px_screen(browsing, service, people):
    with service.use_cases():
        case_id = uc.open_case(people)
        uc.declare_and_build(people, case_id)
    service.zi("sweep")  # the building unit's duties

    anonymous = browsing.page(**PHONE)
    anonymous.goto("/masuk")
    expect(anonymous.get_by_role("heading", name="Masuk")).to_be_visible()
    no_horizontal_scroll(anonymous)

    pages = {
        "coordinator": ["/", f"/unit/{people.unit_id}", f"/kasus/{case_id}",
                        f"/kasus/{case_id}/pencanangan", "/tugas"],
        "inspectorate": ["/", f"/instansi/{people.instansi_id}", f"/kasus/{case_id}"],
        "tpn": ["/", "/nasional"],
        "admin": ["/"],
    }
    for who, paths in pages.items():
        page = browsing.page_as(people.ids[who], **PHONE)
        for path in paths:
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, (who, path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            no_horizontal_scroll(page)
        if who == "coordinator":
            page.goto("/")
            screenshot(page, "beranda-375")
