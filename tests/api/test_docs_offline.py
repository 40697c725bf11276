"""/api/docs works offline: Swagger UI's files are served by the app from a pinned package,
the page names no other host and has no inline script (its CSP allows the app's only)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_the_docs_page_names_only_this_app_and_its_assets_are_served(
        client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/api/") for url in urls), urls
    assert "//" not in "".join(urls) and "cdn" not in html
    assert re.search(r"<script>|<script [^>]*>[^<]", html) is None  # no inline script
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.data) > 100, url
    spec = re.search(r'data-spec-url="([^"]+)"', html)
    assert spec and client.get(spec.group(1)).json["info"]["title"] == "ZI Workflow"


def test_the_docs_page_policy_allows_scripts_from_the_app_only(client: FlaskClient) -> None:
    policy = client.get("/api/docs").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "http" not in policy and "frame-ancestors 'none'" in policy


def test_only_the_bundles_files_are_served(client: FlaskClient) -> None:
    assert client.get("/api/docs/ui/index.html").status_code == 404
    assert client.get("/api/docs/ui/swagger-ui-bundle.js.map").status_code == 404
    assert client.get("/api/docs/ui/../docs.py").status_code == 404
    assert client.get("/api/docs/ui/swagger-ui-bundle.js").status_code == 200
