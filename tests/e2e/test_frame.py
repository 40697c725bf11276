"""The frame in a real browser: pages need a session, forms need their CSRF token, and no
page reaches for another host."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Guard, Service, guard_network


def test_beranda_sends_a_stranger_to_the_sign_in_page(new_page, service):
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/masuk\?next=/$"))


def test_a_form_posted_without_its_csrf_token_is_refused(browsing, people):
    """The sign-out form of every page, posted as another site would (without its token):
    refused, and the person stays signed in."""
    page = browsing.page_as(people.ids["coordinator"])
    page.goto("/")
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    sign_out = page.locator("form", has=page.get_by_role("button", name="Keluar"))
    sign_out.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    with page.expect_response(lambda r: r.url.endswith("/keluar")) as answer:
        page.get_by_role("button", name="Keluar").click()
    assert answer.value.status == 400
    expect(page.get_by_text(re.compile("CSRF", re.I))).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    # With its token the same form signs out.
    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(re.compile(r"/masuk"))


def test_the_network_guard_blocks_and_reports_other_hosts(browser: Browser, service: Service):
    """The guard every test runs under: a request to another host never leaves the browser
    and is kept, so the test can fail on it."""
    guard = Guard()
    context = browser.new_context(base_url=service.base_url)
    guard_network(context, guard)
    try:
        page = context.new_page()
        # (a blank page: the service's own pages would not even try, their CSP forbids it)
        page.set_content('<img src="https://cdn.example.org/pixel.png">')
        page.wait_for_function("() => document.querySelector('img').complete")
        assert guard.attempted == ["https://cdn.example.org/pixel.png"]
    finally:
        context.close()
