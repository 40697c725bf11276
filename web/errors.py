"""Errors on a page become a page in the person's language, never JSON or a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from web import bp
from workflow.errors import (
    Conflict,
    DomainError,
    Forbidden,
    GuardFailed,
    NotFound,
    Unauthenticated,
)
from workflow.outage import is_database_outage, summary

log = logging.getLogger(__name__)

STATUS: list[tuple[type[DomainError], int]] = [
    (Forbidden, 403), (NotFound, 404), (Conflict, 409), (GuardFailed, 422)]


def message_of(error: DomainError) -> str:
    """The message in the page's language."""
    return error.message_en if str(get_locale()) == "en" else error.message_id


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Any:
    if isinstance(error, Unauthenticated):
        return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    unmet = ([unmet.message_en if str(get_locale()) == "en" else unmet.message_id
              for unmet in error.unmet] if isinstance(error, GuardFailed) else [])
    return render_template("errors/page.html", title=str(status), message=message_of(error),
                           unmet=unmet), status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    return render_template("errors/page.html", title=f"{error.code} {error.name}",
                           message=error.description), error.code or 500


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> Any:
    """A database outage is a 503 page with when to come back; anything else a 500 page,
    its traceback in the log only."""
    if isinstance(error, HTTPException):
        return http_error(error)
    if is_database_outage(error):
        log.error("%s", summary(error))
        return (render_template("errors/page.html", title="503",
                                message=_("Basis data sedang tidak tersedia; coba lagi nanti.")),
                503, {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])})
    log.exception("unhandled error on a page")
    return render_template("errors/page.html", title="500",
                           message=_("Terjadi kesalahan pada server. Coba lagi nanti.")), 500
