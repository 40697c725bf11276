"""``/api/docs`` offline: Swagger UI's files come from the pinned ``swagger-ui-bundle``
package and are served by the app at ``/api/docs/ui/…`` (flask-smorest's
``OPENAPI_SWAGGER_UI_URL``); no other host is named in the page.

The page (``api/templates/swagger_ui.html``, which the app's template folder puts ahead of
flask-smorest's own) has no inline script: its settings ride on data attributes read by
``docs_assets/zi-swagger.js``, so the page's Content-Security-Policy allows scripts from the
app only (``api.limits.DOCS_CSP``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

UI_URL = "/api/docs/ui/"
OWN_ASSETS = Path(__file__).parent / "docs_assets"
#: what the page loads from the package: nothing else of it is served
BUNDLED = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                     "favicon-16x16.png", "favicon-32x32.png"})
MAX_AGE = 24 * 3600


def asset(filename: str) -> Response:
    if filename in BUNDLED:
        return send_from_directory(str(swagger_ui_path), filename, max_age=MAX_AGE)
    if (OWN_ASSETS / filename).is_file() and "/" not in filename:
        return send_from_directory(OWN_ASSETS, filename, max_age=MAX_AGE)
    abort(404)


def register(app: Flask) -> None:
    app.add_url_rule(UI_URL + "<path:filename>", "swagger_ui_asset", asset)
