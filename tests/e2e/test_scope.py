"""Scope in the browser: a coordinator sees their own unit's pages, never another's."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import usecases as uc


def test_a_coordinator_is_refused_another_units_pages(browsing, service, people):
    with service.use_cases():
        other_case = uc.open_case(people, unit="other_coordinator")
    page = browsing.page_as(people.ids["coordinator"])
    for path in (f"/unit/{people.other_unit_id}", f"/kasus/{other_case}",
                 f"/kasus/{other_case}/pencanangan"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 403, path
        expect(page.get_by_role("heading", name="403")).to_be_visible()
        expect(page.get_by_text("Balai")).to_have_count(0)  # nothing of that unit is shown
    # Beranda does not list it either.
    page.goto("/")
    expect(page.get_by_role("link", name=re.compile(rf"#{other_case}\b"))).to_have_count(0)
