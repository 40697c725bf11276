"""The one place where domain errors become HTTP statuses. Every error body is
``{code, message, message_en, errors?, unmet?}``: never an HTML page, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import portalrb
from api.schemas import ErrorSchema
from workflow.errors import (
    Conflict,
    DomainError,
    FileTooLarge,
    Forbidden,
    GuardFailed,
    InvalidInput,
    NotFound,
    Unauthenticated,
    UnsupportedFileType,
)
from workflow.outage import is_database_outage, summary

STATUS: list[tuple[type[DomainError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (GuardFailed, 422),
    (FileTooLarge, 413),
    (UnsupportedFileType, 415),
    (InvalidInput, 400),
]
log = logging.getLogger(__name__)


def domain_error_response(error: DomainError) -> tuple[dict[str, Any], int, dict[str, str]]:
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    body: dict[str, Any] = {"code": error.code, "message": error.message_id,
                            "message_en": error.message_en}
    if error.errors:
        body["errors"] = error.errors
    if isinstance(error, GuardFailed):
        body["unmet"] = [unmet.as_dict() for unmet in error.unmet]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return body, status, headers


def http_error_response(error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Werkzeug's and webargs' errors, with the same body as ours."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    body: dict[str, Any] = {
        "code": "validation_error" if "messages" in data else (error.name or "error").lower()
        .replace(" ", "_"),
        "message": "Permintaan tidak valid" if status == 400 else (error.name or "Error"),
        "message_en": error.description or error.name or "Error",
    }
    messages = data.get("messages") or data.get("errors")
    if messages:
        # webargs nests the errors by location ({"json": {...}}); clients want the fields
        # (of a JSON body, or of a multipart one); query errors keep their location.
        query_only = isinstance(messages, dict) and set(messages) <= {"query", "view_args"}
        if isinstance(messages, dict):
            messages = messages.get("json") or messages.get("files") or messages
        if not isinstance(messages, dict):  # "Invalid JSON body.": the body as a whole
            messages = {"_body": messages if isinstance(messages, list) else [str(messages)]}
        body["errors"] = messages
        body["message_en"] = "Invalid query parameters" if query_only else "Invalid request body"
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))  # RFC 9110: 405 names them
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return body, status, headers


def any_http_error(error: HTTPException) -> Any:
    """PortalRB's error format under its prefix, ours everywhere else."""
    if portalrb.applies():
        return portalrb.http_error(error)
    return http_error_response(error)


class ZiApi(Api):
    """flask-smorest's Api with our error body for every HTTP error."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" response: every status an operation answers is listed on it
    # (``api.jsonbody.COMMON_ERROR_DOCS`` and its own), so a status the document does not
    # name is a failure of schemathesis' status_code_conformance, not silently allowed.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Any:
        return any_http_error(error)


def retry_after(app: Flask) -> int:
    return int(app.config["RETRY_AFTER_SECONDS"])


def database_unavailable(error: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The database is down or unreachable: 503 and when to come back, not a 500."""
    log.error("%s", summary(error))
    return ({"code": "database_unavailable", "message": "Basis data sedang tidak tersedia; "
             "coba lagi nanti", "message_en": "The database is unavailable; try again later"},
            503, {"Retry-After": str(retry_after(current_app))})


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain(error: DomainError) -> Any:
        if portalrb.applies():
            return portalrb.domain_error(error)
        return domain_error_response(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return any_http_error(error)
        if is_database_outage(error):
            if portalrb.applies():  # PortalRB's own error format there, 503 included
                log.error("%s", summary(error))
                return portalrb.unavailable(retry_after(current_app))
            return database_unavailable(error)
        log.exception("unhandled error")
        if portalrb.applies():
            return portalrb.error_response(500)
        return ({"code": "internal_error", "message": "Terjadi kesalahan pada server",
                 "message_en": "Internal server error"}, 500)
