"""PortalRB's pull API under ``/api/portalrb`` (``shared/portalrb/README.md``, issue 7).

PortalRB calls three GET endpoints with an instansi's integration token. Here, and only
here, errors take PortalRB's shape ``{"error": true, "code": "…", "message": "…"}``: 401
``UNAUTHORIZED``, 403 ``FORBIDDEN``, 404 ``DATA_NOT_FOUND``, 422 ``INVALID_REQUEST``, 429
``RATE_LIMITED`` (per token, ``PORTALRB_RATE_LIMIT``), 500 ``INTERNAL_SERVER_ERROR``; a method
other than GET is 405 ``METHOD_NOT_ALLOWED`` with ``Allow`` (PortalRB only GETs); while
our database is down 503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` (a 5xx: PortalRB retries).
Bodies are served as the exact bytes whose SHA-256 the fetch record keeps.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from flask_limiter import Limiter
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api.evidence_files import link_for
from api.jsonbody import Blueprint
from workflow import integration_tokens
from workflow.clock import JAKARTA, utcnow
from workflow.errors import DomainError, Forbidden, NotFound, Unauthenticated
from workflow.lke import portalrb_feed
from workflow.lke.portalrb_body import encode
from workflow.models import IntegrationToken

PREFIX = "/api/portalrb"
CODES = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "DATA_NOT_FOUND",
         405: "METHOD_NOT_ALLOWED", 422: "INVALID_REQUEST",
         429: "RATE_LIMITED", 500: "INTERNAL_SERVER_ERROR", 503: "SERVICE_UNAVAILABLE"}
MESSAGES = {401: "Token tidak ada, tidak valid, kedaluwarsa, atau dicabut",
            403: "Token ini tidak berhak atas data yang diminta",
            404: "Data yang diminta tidak ditemukan",
            405: "Metode tidak diizinkan; hanya GET",
            422: "Permintaan tidak valid",
            429: "Terlalu banyak permintaan; coba lagi nanti",
            500: "Terjadi kesalahan di sisi instansi",
            503: "Layanan instansi sedang tidak tersedia; coba lagi nanti"}

class PortalrbBlueprint(Blueprint):
    """Its errors in PortalRB's format: a malformed request (or one too large) is 422
    ``INVALID_REQUEST``, never our 400 or 413."""

    def common_error_docs(self) -> dict[str, Any]:
        return {str(status): _error_doc(status) for status in (401, 422, 429, 503)}

    def _prepare_secured_doc(self, doc: dict[str, Any], doc_info: dict[str, Any], *,
                             method: str, **kwargs: Any) -> dict[str, Any]:
        doc = super()._prepare_secured_doc(doc, doc_info, method=method, **kwargs)
        for key in ("400", 400):  # webargs' 400 is answered 422 here
            doc["responses"].pop(key, None)
        return doc


def _error_doc(status: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": f"{CODES[status]}: {MESSAGES[status]}", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/PortalrbErrorOut"}}}}
    if status in (429, 503):
        doc["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                          "schema": {"type": "integer"}}}
    return doc


blp = PortalrbBlueprint(
    "portalrb", __name__, url_prefix=PREFIX,
    description="PortalRB's pull API (KemenPANRB): proposed units and their LKE answers. "
                "Integration tokens only; PortalRB's error format.")


def applies() -> bool:
    """Whether the current request is PortalRB's (its auth and its error format)."""
    path = request.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def error_response(status: int, detail: str | None = None) -> Response:
    """PortalRB's error body; statuses it does not know are reported as the nearest it does."""
    if status not in CODES:
        status = 422 if 400 <= status < 500 else 500
    message = MESSAGES[status] + (f": {detail}" if detail else "")
    response = Response(encode({"error": True, "code": CODES[status], "message": message}),
                        status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def unavailable(retry_after: int) -> Response:
    """The database is down: PortalRB's body, 503 and when to come back (it retries 5xx)."""
    response = error_response(503)
    response.headers["Retry-After"] = str(retry_after)
    return response


def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    detail = None
    if isinstance(messages, dict):
        fields_at_fault = sorted({name for where in messages.values() if isinstance(where, dict)
                                  for name in where})
        detail = ", ".join(fields_at_fault) or None
    response = error_response(422 if status == 400 else status, detail)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def domain_error(error: DomainError) -> Response:
    for kind, status in ((Unauthenticated, 401), (Forbidden, 403), (NotFound, 404)):
        if isinstance(error, kind):
            return error_response(status)
    return error_response(422)


def authenticate() -> None:
    """Before each PortalRB request: an active integration token, never a user's token."""
    if not applies():
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    row = None
    if scheme.lower() == "bearer" and token.strip():
        row = integration_tokens.authenticate(token.strip())
    if row is None:
        raise Unauthenticated("Token integrasi tidak ada, tidak valid, kedaluwarsa atau dicabut",
                              "Missing, invalid, expired or revoked integration token")
    g.integration_token = row


def current_token() -> IntegrationToken:
    token: IntegrationToken = g.integration_token
    return token


def _rate_key() -> str:
    """Per token: the hash of what was presented (no database read before the limit)."""
    header = request.headers.get("Authorization", "")
    return "portalrb:" + hashlib.sha256(header.encode("utf-8")).hexdigest()


def init_app(app: Flask) -> None:
    """PortalRB's auth and per-token rate limit for this app (one limiter per app)."""
    hooks: list[dict[Any, list[Any]]] = [
        app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs]
    others = [list(funcs.get(None, ())) for funcs in hooks]
    limiter = Limiter(_rate_key, app=app, headers_enabled=True)
    limiter.limit(lambda: str(current_app.config["PORTALRB_RATE_LIMIT"]))(blp)
    for funcs, before in zip(hooks, others, strict=True):
        funcs[None] = [hook if hook in before else _under_prefix(hook) for hook in funcs[None]]
    app.before_request(authenticate)


def _under_prefix(hook: Callable[..., Any]) -> Callable[..., Any]:
    """Flask-Limiter hooks every request of the app, and looks for the limits that apply
    (~0.1 ms of CPU, a fortieth of a transition request); its only limit is PortalRB's, on
    this blueprint, so its hooks run under the prefix only. An after-request hook gets and
    returns the response, a teardown hook the error."""

    @functools.wraps(hook)
    def hooked(*args: Any) -> Any:
        if applies():
            return hook(*args)
        return args[0] if args else None

    return hooked


class TahunQuery(Schema):
    tahun = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={
        "description": "evaluation year; default: the current year in Asia/Jakarta"})


class ProposedUnitOut(Schema):
    id = fields.String(required=True, metadata={"description": "the unit's code"})
    nama = fields.String(required=True)
    kategori = fields.String(validate=validate.OneOf(("WBK", "WBK-AFIRMASI", "WBBM")))
    afirmasi = fields.Boolean()


class UnitListOut(Schema):
    tahun = fields.Integer()
    units = fields.List(fields.Nested(ProposedUnitOut))


class AnswerOut(Schema):
    soal_id = fields.Integer(required=True)
    jawaban_unit = fields.String(allow_none=True, required=True)
    jawaban_tpi = fields.String(allow_none=True)
    catatan_unit = fields.String(allow_none=True)
    bukti_dukung_unit = fields.String(allow_none=True)
    catatan_tpi = fields.String(allow_none=True)


class JawabanOut(Schema):
    unit_id = fields.String()
    nama_unit = fields.String()
    tahun = fields.Integer()
    answers = fields.List(fields.Nested(AnswerOut))


class PortalrbErrorOut(Schema):
    error = fields.Boolean()
    code = fields.String(validate=validate.OneOf(tuple(CODES.values())))
    message = fields.String()


def _tahun(query: dict[str, Any]) -> int:
    return int(query.get("tahun") or utcnow().astimezone(JAKARTA).year)


def _json(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


def _errors(*statuses: int) -> Any:
    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=PortalrbErrorOut,
                                    description=f"{CODES[status]}: {MESSAGES[status]}")(view)
        return view
    return decorate


@blp.route("/pengusulan/unit-wbk")
class UnitWbk(MethodView):
    @blp.arguments(TahunQuery, location="query")
    @blp.response(200, UnitListOut)
    def get(self, query: dict[str, Any]) -> Any:
        """The units the instansi proposes for WBK (and WBK-AFIRMASI) in the year"""
        body = portalrb_feed.unit_list_body(current_token().instansi_id, _tahun(query), "WBK")
        return _json(encode(body))


@blp.route("/pengusulan/unit-wbbm")
class UnitWbbm(MethodView):
    @blp.arguments(TahunQuery, location="query")
    @blp.response(200, UnitListOut)
    def get(self, query: dict[str, Any]) -> Any:
        """The units the instansi proposes for WBBM in the year"""
        body = portalrb_feed.unit_list_body(current_token().instansi_id, _tahun(query), "WBBM")
        return _json(encode(body))


@blp.route("/lke/jawaban-unit/<path:unit_id>")
class JawabanUnit(MethodView):
    @blp.arguments(TahunQuery, location="query")
    @blp.response(200, JawabanOut)
    @_errors(403, 404)
    def get(self, query: dict[str, Any], unit_id: str) -> Any:
        """One proposed unit's LKE answers, TPI answers, notes and evidence (fetch recorded)"""
        served = portalrb_feed.fetch_answers(current_token(), unit_id, _tahun(query), link_for,
                                             utcnow())
        return _json(served.body)
