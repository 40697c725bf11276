"""Browser tests: the real service (``zi serve``) on 127.0.0.1, Debian's Chromium driven by
Playwright, an SMTP sink for the e-mails, the dispatcher run once to deliver them.

Everything heavy is started once for this package and stopped after its last test: the
database (a fresh SQLite file, or a throwaway database on TEST_DATABASE_URL's PostgreSQL
server, dropped after), the server, the SMTP sink and the browser. Each test gets its own
browser context (cookies) whose every request to a host other than 127.0.0.1 is blocked and
fails the test. No browser is ever downloaded: the system's ``chromium`` is used (``.ci/run``
installs the apt package).
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from api import create_app
from tests.conftest import throwaway_database
from tests.ops.helpers import free_port, wait_for
from web.session import SESSION_PASSWORD, SESSION_USER, password_mark
from workflow.db import db
from workflow.models import User

ZI = str(Path(sys.executable).with_name("zi"))
AUDIT_KEY = "e2e-audit-key-not-a-secret-0123456789"
SECRET_KEY = "e2e-session-key-not-a-secret-0123456789"
PASSWORD = "Sandi-Uji-e2e-2026!"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ALLOWED_HOST = "127.0.0.1"
#: Where the screenshots go: ``ZI_E2E_SCREENSHOTS=docs/screenshots`` refreshes the README's.
SCREENSHOTS = os.environ.get("ZI_E2E_SCREENSHOTS")


# -- the SMTP sink ---------------------------------------------------------------------------

@dataclass
class Mailbox:
    """What the SMTP sink accepted, by recipient."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]

    def text_of(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain", "html"))
        assert body is not None
        return str(body.get_content())

    def link_to(self, address: str, path_prefix: str) -> str:
        """The newest link in the newest e-mail to ``address`` whose path starts so."""
        for message in reversed(self.to(address)):
            for link in re.findall(r"https?://[^\s\"'<>]+", self.text_of(message)):
                if urlsplit(link).path.startswith(path_prefix):
                    return link
        raise AssertionError(f"no e-mail to {address} with a link to {path_prefix}…: "
                             f"{[str(m['Subject']) for m in self.to(address)]}")


@pytest.fixture(scope="package")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    port = free_port()
    controller = Controller(handler, hostname=ALLOWED_HOST, port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


# -- the database ----------------------------------------------------------------------------

@pytest.fixture(scope="package")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the browser tests' own: never the one the other tests empty."""
    with throwaway_database("zi_e2e", tmp_path_factory.mktemp("e2e-db")) as url:
        yield url


# -- the service -----------------------------------------------------------------------------

@dataclass
class Service:
    """A running ``zi serve`` with its settings; ``zi`` commands run with the same ones."""

    base_url: str
    env: dict[str, str]
    workdir: Path
    log: Path
    mail: Mailbox
    app: Flask  # in this process, on the same database: setup through the use cases
    process: subprocess.Popen[bytes] | None = None
    log_offset: int = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def zi(self, *args: str) -> str:
        result = subprocess.run([ZI, *args], env=self.env, cwd=self.workdir,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"zi {' '.join(args)}: {result.stderr}{result.stdout}"
        return result.stdout

    def deliver(self) -> str:
        """The dispatcher, once: every queued e-mail goes to the SMTP sink."""
        return self.zi("dispatcher", "--once")

    @contextmanager
    def use_cases(self) -> Iterator[Flask]:
        """An application context on the service's database, for setup the pages do not
        cover (committed before the browser looks)."""
        with self.app.app_context():
            yield self.app

    def session_cookie(self, user_id: int) -> str:
        """The value of a session cookie for that user, as the server signs it at sign-in
        (with the mark of their password, as ``web.session.sign_in_as`` keeps it)."""
        serializer = self.app.session_interface.get_signing_serializer(  # type: ignore[attr-defined]
            self.app)
        assert serializer is not None
        with self.use_cases():
            user = db.session.get(User, user_id)
            assert user is not None
            data = {SESSION_USER: user_id, SESSION_PASSWORD: password_mark(user),
                    "_permanent": True}
        return str(serializer.dumps(data))

    def server_errors(self) -> list[dict[str, Any]]:
        """Access lines with a 5xx since the last call."""
        with self.log.open("rb") as handle:
            handle.seek(self.log_offset)
            new = handle.read()
        self.log_offset += len(new)
        errors = []
        for line in new.decode("utf-8", "replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                if "Traceback" in line:
                    errors.append({"line": line})
                continue
            if isinstance(entry, dict) and int(entry.get("status") or 0) >= 500:
                errors.append(entry)
        return errors


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_service(database_url: str, workdir: Path, mail: tuple[Mailbox, int],
                  **settings: str) -> Service:
    """Migrate with ``zi db upgrade``, then ``zi serve`` on a free port of 127.0.0.1."""
    port = free_port()
    instance = workdir / "instance"
    base_url = f"http://{ALLOWED_HOST}:{port}"
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("ZI_", "SMTP_")) and key not in ("DATABASE_URL", "MAIL_FROM")}
    env = {**clean, "DATABASE_URL": database_url, "ZI_INSTANCE_PATH": str(instance),
           "ZI_PUBLIC_BASE_URL": base_url, "ZI_AUDIT_KEY": AUDIT_KEY,
           "ZI_SECRET_KEY": SECRET_KEY, "ZI_LOG_FORMAT": "json",
           "SMTP_HOST": ALLOWED_HOST, "SMTP_PORT": str(mail[1]), "SMTP_TIMEOUT": "10",
           "MAIL_FROM": "ZI Workflow <noreply@zi.test>", **settings}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance),
                      "PUBLIC_BASE_URL": base_url, "AUDIT_KEY": AUDIT_KEY,
                      "SECRET_KEY": SECRET_KEY})
    service = Service(base_url, env, workdir, workdir / "server.log", mail[0], app)
    service.zi("db", "upgrade")
    log = service.log.open("ab")
    service.process = subprocess.Popen(
        [ZI, "serve", "--host", ALLOWED_HOST, "--port", str(port)], env=env, cwd=workdir,
        stdout=log, stderr=subprocess.STDOUT)
    log.close()

    def ready() -> bool:
        assert service.process is not None
        assert service.process.poll() is None, service.log.read_text()
        return _answers(base_url + "/readyz")

    wait_for(ready, "zi serve to answer /readyz")
    return service


def stop_service(service: Service) -> None:
    if service.process is not None and service.process.poll() is None:
        service.process.terminate()
        try:
            service.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()
    with service.app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="package")
def service(e2e_database_url: str, mailbox: tuple[Mailbox, int],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start_service(e2e_database_url, tmp_path_factory.mktemp("e2e"), mailbox)
    try:
        yield running
    finally:
        stop_service(running)


# -- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: apt-get install chromium (never a download)"
    launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Guard:
    """Requests the browser tried to send to another host (each was blocked)."""

    attempted: list[str] = field(default_factory=list)


def guard_network(context: BrowserContext, guard: Guard) -> None:
    """Block every request to a host other than 127.0.0.1, keeping what was tried."""

    def route(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname == ALLOWED_HOST:
            route.continue_()
            return
        guard.attempted.append(url)
        route.abort("blockedbyclient")

    context.route("**/*", route)


@dataclass
class Browsing:
    """Opens pages in fresh contexts (own cookies), each with the network guard."""

    browser: Browser
    service: Service
    guard: Guard
    contexts: list[BrowserContext] = field(default_factory=list)

    def page(self, width: int = 1280, height: int = 800,
             storage_state: dict[str, Any] | None = None) -> Page:
        context = self.browser.new_context(
            base_url=self.service.base_url, viewport={"width": width, "height": height},
            locale="id-ID", timezone_id="Asia/Jakarta",
            storage_state=storage_state)  # type: ignore[arg-type]
        context.set_default_timeout(15_000)
        guard_network(context, self.guard)
        self.contexts.append(context)
        return context.new_page()

    def page_as(self, user_id: int, width: int = 1280, height: int = 800) -> Page:
        """A page already signed in as that user: their session cookie, signed with the
        service's key, as the sign-in page would set it (the sign-in page has tests of its
        own: this keeps the other flows short)."""
        page = self.page(width, height)
        page.context.add_cookies([{
            "name": self.service.app.config["SESSION_COOKIE_NAME"],
            "value": self.service.session_cookie(user_id), "domain": ALLOWED_HOST,
            "path": "/", "httpOnly": True, "sameSite": "Lax"}])
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, service: Service) -> Iterator[Browsing]:
    """Fresh browser contexts for one test; the test fails if a page tried to reach another
    host, or if the server answered any request with a 5xx."""
    service.server_errors()  # what earlier tests left is theirs
    opened = Browsing(browser, service, Guard())
    try:
        yield opened
    finally:
        opened.close()
    assert not opened.guard.attempted, f"requests to other hosts: {opened.guard.attempted}"
    assert not service.server_errors(), "the server answered with a 5xx"


@pytest.fixture
def new_page(browsing: Browsing) -> Callable[..., Page]:
    return browsing.page


def screenshot(page: Page, name: str) -> Path | None:
    """A screenshot of the page as it is (the visible part, PNG), into
    ``ZI_E2E_SCREENSHOTS`` when set (``docs/screenshots`` for the README), else nowhere."""
    data = page.screenshot(type="png", full_page=False)
    assert data.startswith(b"\x89PNG")
    if not SCREENSHOTS:
        return None
    target = Path(SCREENSHOTS) / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


@pytest.fixture
def people(service: Service) -> Any:
    """An instansi, two units and a person of each role, of this test's own."""
    from tests.e2e.usecases import make_people

    tag = uuid.uuid4().hex[:6]  # names as short as real ones: "Kementerian Uji 3f9a1c"
    with service.use_cases():
        return make_people(tag)


def no_horizontal_scroll(page: Page) -> None:
    """Nothing wider than the window: no sideways scrolling on a phone (a failure names the
    elements that stick out). Measured once the page and its stylesheet have loaded (a URL or
    a heading can be there before them)."""
    page.wait_for_load_state("load")
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        culprits = page.evaluate("""(limit) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .filter(e => !e.parentElement.closest('.table-wrap, .diagram-wrap'))
            .slice(0, 5).map(e => `<${e.tagName.toLowerCase()} class="${e.getAttribute('class')
                || ''}"> ${Math.round(e.getBoundingClientRect().right)} px: `
                + (e.textContent || '').trim().slice(0, 50))""", widths[1])
        raise AssertionError(f"{page.url}: {widths[0]} px wide in a {widths[1]} px window; "
                             f"sticking out: {culprits}")
