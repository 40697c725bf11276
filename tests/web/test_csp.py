"""The pages' Content-Security-Policy (issue 9 item 7): scripts and styles from the app only,
no framing; no template has an inline script or style the policy would block."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_pages_allow_scripts_and_styles_from_the_app_only(
        client: FlaskClient, page_client: Callable[[str], FlaskClient]) -> None:
    for response in (client.get("/masuk"), page_client("coordinator").get("/")):
        policy = directives(response)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert directives(client.get("/api/v1/units"))["default-src"] == "'none'"


def test_htmx_is_told_not_to_inject_its_style(client: FlaskClient) -> None:
    html = client.get("/masuk").get_data(as_text=True)
    configs = re.findall(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
    assert len(configs) == 1 and json.loads(configs[0])["includeIndicatorStyles"] is False


def test_no_template_has_an_inline_script_style_or_handler() -> None:
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=",
                        r"\son[a-z]+=", r"javascript:", r"\shx-on"):
            if re.search(pattern, text, re.IGNORECASE):
                found.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert not found, f"the pages' CSP would block these: {found}"


def test_the_pages_stylesheet_and_htmx_are_served(client: FlaskClient) -> None:
    html = client.get("/masuk").get_data(as_text=True)
    for url, kind in ((re.search(r'href="(/static/[^"]+\.css)"', html), "text/css"),
                      (re.search(r'src="(/static/[^"]+\.js)"', html), "javascript")):
        assert url, kind
        asset = client.get(url.group(1))
        assert asset.status_code == 200 and kind in asset.headers["Content-Type"]
