"""Hostile input gets a 4xx, never a 500 (issue 9): what every request must satisfy before any
resource sees it, and the security headers of every answer.

- a body larger than ``MAX_BODY_BYTES`` (an upload: ``EVIDENCE_MAX_BYTES`` and its form) is
  answered 413 from its ``Content-Length``, before it is read and before the token is looked
  at (a body without a length is cut at the limit);
- JSON nested deeper than ``MAX_JSON_DEPTH``, integers longer than ``MAX_NUMBER_DIGITS``
  digits, any string with a NUL or a lone surrogate (PostgreSQL refuses both; they cannot be
  encoded) or longer than ``MAX_STRING_CHARS``: 400 naming the field;
- the same characters in the path or the query string: 400.
The schemas add each field's own length and type limits.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from workflow.errors import FileTooLarge, InvalidInput

MAX_JSON_DEPTH = 20
MAX_NUMBER_DIGITS = 40
MAX_STRING_CHARS = 100_000
UPLOAD_FORM_BYTES = 64 * 1024  # the form fields and part headers around an uploaded file
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
# /api/docs: Swagger UI from the app only (api.docs); its styles set inline style attributes
# and its icons are data: URLs.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


def _refused(field: str, problem: str) -> InvalidInput:
    return InvalidInput("Permintaan tidak valid", "Invalid request",
                        errors={field or "_body": [problem]})


def text_problem(text: str) -> str | None:
    """Why a text cannot be stored, or None."""
    if "\x00" in text:
        return "karakter NUL tidak diizinkan / NUL characters are not allowed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate tunggal tidak diizinkan / lone surrogates are not allowed"
    if len(text) > MAX_STRING_CHARS:
        return f"lebih dari / longer than {MAX_STRING_CHARS} karakter / characters"
    return None


def check_value(value: Any, path: str = "", depth: int = 0) -> None:
    """Walk a parsed JSON document; raise a 400 naming the first unacceptable field."""
    if depth > MAX_JSON_DEPTH:
        raise _refused(path, f"bersarang lebih dari / nested deeper than {MAX_JSON_DEPTH}")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise _refused(path, problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            problem = text_problem(key)
            if problem:
                raise _refused(path or "_body", f"nama field / field name: {problem}")
            check_value(item, where, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{path}.{index}" if path else str(index), depth + 1)


def _number(kind: type[int] | type[Decimal]) -> Any:
    def parse(literal: str) -> int | Decimal:
        if len(literal) > MAX_NUMBER_DIGITS:
            raise _refused("_body", f"angka lebih dari / a number longer than "
                                    f"{MAX_NUMBER_DIGITS} digit / digits")
        return kind(literal)
    return parse


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


def load_json(raw: bytes) -> Any:
    """The body as JSON, numbers with a fraction as ``Decimal`` (a score never passes
    through float), checked by ``check_value``."""
    try:
        document = json.loads(raw.decode("utf-8"), parse_float=_number(Decimal),
                              parse_int=_number(int), parse_constant=_no_constants)
    except RecursionError as err:
        raise _refused("_body", f"bersarang terlalu dalam / nested deeper than "
                                f"{MAX_JSON_DEPTH}") from err
    check_value(document)
    return document


def check_request() -> None:
    """Before anything else, the token included: size, then path and query."""
    limit = int(current_app.config["MAX_BODY_BYTES"])
    upload = request.mimetype == "multipart/form-data"
    if upload:  # an evidence file or a worksheet in Excel: the upload's own limit
        limit = max(limit, int(current_app.config["EVIDENCE_MAX_BYTES"]) + UPLOAD_FORM_BYTES)
    if request.content_length is not None and request.content_length > limit:
        if upload:
            raise FileTooLarge(f"Berkas lebih besar dari {limit} byte",
                               f"The file exceeds {limit} bytes",
                               errors={"file": [f"paling besar / at most {limit} bytes"]})
        raise RequestEntityTooLarge(f"The body is larger than {limit} bytes")
    request.max_content_length = limit  # a body without a length is cut there
    problem = text_problem(request.path)
    if problem:
        raise _refused("path", problem)
    for name, value in request.args.items(multi=True):
        problem = text_problem(name) or text_problem(value)
        if problem:
            raise _refused(f"query.{name}" if not text_problem(name) else "query", problem)


SECURE_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                  ("Referrer-Policy", "no-referrer"))


def secure_headers(response: Response) -> Response:
    """Each header unless the answer set its own (the pages set their CSP first:
    ``web.session.PAGE_CSP``). Added in one pass over the headers: one ``setdefault`` each
    scans and validates them again, 0.02 ms of every request."""
    path = request.path
    docs = path.startswith("/api/docs")
    wanted = [*SECURE_HEADERS, ("Content-Security-Policy", DOCS_CSP if docs else JSON_CSP)]
    if path.startswith("/api/") and not docs:
        wanted.append(("Cache-Control", "no-store"))
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def install(app: Flask) -> None:
    """Register the checks first, ahead of authentication."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
    app.after_request(secure_headers)
