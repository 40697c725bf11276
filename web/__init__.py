"""Pages for people (issue 8): a blueprint of the same app, in Indonesian first.

Pages call the same use cases as the REST API (``workflow.*``), never the API over HTTP.
Each concept has its module (``web.signin``, ``web.cases``…); every module adds its routes to
the one blueprint ``bp`` and its templates under ``web/templates/<module>/``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


def install(app: Flask) -> None:
    """Register the pages, their session, CSRF protection and translations on ``app``."""
    from web import pages, session, throttle  # noqa: F401  (modules register their routes)

    session.install(app)
    throttle.install(app)
    app.register_blueprint(bp)
