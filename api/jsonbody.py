"""Request bodies are parsed with numbers as ``Decimal`` (a score never passes through float)
and checked against hostile shapes (``api.limits``) before any schema sees them."""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict

from api.limits import check_value, load_json
from workflow.errors import InvalidInput

MAX_PAGE = 1_000_000


class DecimalJsonParser(FlaskParser):
    """webargs' parser with a 400 for a malformed body (422 is kept for refused guards)."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return load_json(req.get_data(cache=True))

    def load_files(self, req: flask.Request, schema: Any) -> Any:
        """A multipart body whole, its files and its plain fields: OpenAPI 3 documents one
        request body per operation, so one schema (location ``files``) describes both."""
        check_value(req.form.to_dict(flat=False))  # NUL, lone surrogates, lengths
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class PageParser(FlaskParser):
    """Pages are bounded: an offset past any table is a 400, not a database error."""

    DEFAULT_VALIDATION_STATUS = 400

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        parameters = super().parse(*args, **kwargs)
        if parameters.page > MAX_PAGE:
            raise InvalidInput("Halaman terlalu besar", "Page out of range",
                               errors={"page": [f"maksimum / at most {MAX_PAGE}"]})
        return parameters


PAGINATION_DOC = {
    "description": "Pagination metadata: a JSON object sent as a string, with `total`, "
                   "`total_pages`, `first_page`, `last_page`, `page`, `previous_page` and "
                   "`next_page` (the last two only when there is such a page)",
    "schema": {"type": "string"},
    "example": '{"total": 120, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, '
               '"next_page": 2}',
}


UNAUTHENTICATED_DOC = {
    "description": "unauthenticated: no bearer token, or an invalid or expired one",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


class Blueprint(SmorestBlueprint):
    """Every operation of ours is behind a bearer token: each documents its 401, and has a
    description (what a write needs) besides its summary."""

    ARGUMENTS_PARSER = DecimalJsonParser()
    PAGINATION_ARGUMENTS_PARSER = PageParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_secured_doc)

    @staticmethod
    def _prepare_secured_doc(doc: dict[str, Any], doc_info: dict[str, Any], *, method: str,
                             **kwargs: Any) -> dict[str, Any]:
        doc.setdefault("responses", {})["401"] = UNAUTHENTICATED_DOC
        notes = ["Needs `Authorization: Bearer <token>` (401 without a valid one)."]
        body = doc.get("requestBody", {}).get("content", {}).get("application/json", {})
        schema = body.get("schema")
        if "expected_version" in getattr(schema, "_declared_fields", {}):
            notes.append("Send the case's `version` as `expected_version`: a stale one answers "
                         "409 `stale_version`; a malformed body answers 400 naming the fields.")
        elif method in ("post", "put", "patch"):
            notes.append("A malformed body answers 400 naming the fields.")
        if doc_info.get("pagination"):
            notes.append("Paginated: `page` (from 1) and `page_size`; the `X-Pagination` "
                         "header carries the totals.")
        doc["description"] = " ".join(notes)
        return doc

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        """flask-smorest documents the header as an object; it is sent as a JSON string."""
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = PAGINATION_DOC
