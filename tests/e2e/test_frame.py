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


def test_a_form_posted_without_its_csrf_token_is_refused(new_page):
    page = new_page()
    page.goto("/masuk")
    # A form as another site would post it: right action, no csrf_token field.
    page.evaluate("""() => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/keluar';
        document.body.appendChild(form);
    }""")
    with page.expect_response(lambda r: r.url.endswith("/keluar")) as answer:
        page.evaluate("() => document.querySelector('form[action=\"/keluar\"]').submit()")
    assert answer.value.status == 400
    expect(page.get_by_text(re.compile("CSRF", re.I))).to_be_visible()


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
