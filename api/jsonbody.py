"""Request bodies are parsed with numbers as ``Decimal`` (a score never passes through float)
and checked against hostile shapes (``api.limits``) before any schema sees them."""

from __future__ import annotations

from functools import cache
from typing import Any

import flask
import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict

from api.limits import check_value, load_json
from workflow.errors import InvalidInput

MAX_PAGE = 1_000_000


@cache
def _schema_of(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


class OneSchemaParser(FlaskParser):
    """webargs builds a new schema from the class an operation names at every request (a fifth
    of parsing a transition's body); a schema keeps nothing of a request (none of ours has a
    hook or state), so one instance per class serves every request, as flask-smorest already
    does for the answers' schemas."""

    def _get_schema(self, argmap: Any, req: flask.Request) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema_of(argmap)
        return super()._get_schema(argmap, req)


class DecimalJsonParser(OneSchemaParser):
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


class PageParser(OneSchemaParser):
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


def _error_doc(description: str, schema: str = "Error", retry_after: bool = False
               ) -> dict[str, Any]:
    doc: dict[str, Any] = {"description": description, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    if retry_after:
        doc["headers"] = {"Retry-After": {"description": "seconds to wait before trying again",
                                          "schema": {"type": "integer"}}}
    return doc


UNAUTHENTICATED_DOC = _error_doc("unauthenticated: no bearer token, or an invalid or expired "
                                 "one")
#: What any operation may answer besides its own statuses (``api.limits``, ``api.auth``,
#: ``api.errors``): listed on each, so the document names every status the service sends.
COMMON_ERROR_DOCS = {
    "400": _error_doc("malformed request: a body, query or path value that is not what the "
                      "operation takes (NUL, lone surrogates, too deep or too long "
                      "included); `errors` names each field (`query.page`, `path.case_id`)"),
    "401": UNAUTHENTICATED_DOC,
    "413": _error_doc("request_entity_too_large (or file_too_large): a body over the size "
                      "limit, refused from its Content-Length before it is read"),
    "429": _error_doc("too many failed authentications from this address", retry_after=True),
    "503": _error_doc("database_unavailable: try again after Retry-After", retry_after=True),
}


class Blueprint(SmorestBlueprint):
    """Every operation of ours is behind a bearer token: each documents its 401, and has a
    description (what a write needs) besides its summary."""

    ARGUMENTS_PARSER = DecimalJsonParser()
    PAGINATION_ARGUMENTS_PARSER = PageParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_secured_doc)

    def common_error_docs(self) -> dict[str, Any]:
        return COMMON_ERROR_DOCS

    def _prepare_secured_doc(self, doc: dict[str, Any], doc_info: dict[str, Any], *,
                             method: str, **kwargs: Any) -> dict[str, Any]:
        responses = doc.setdefault("responses", {})
        for status, error_doc in self.common_error_docs().items():
            responses.pop(int(status), None)  # flask-smorest's own, keyed by number
            responses[status] = error_doc
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


NOT_FOUND_DOC = _error_doc("not_found: a row the path (or an `…_id` query parameter) names "
                           "does not exist")


class ErrorStatusPlugin(BasePlugin):
    """What only the route knows, added to each operation once its parameters are expanded:
    404 where a path or an ``…_id`` query parameter names a row, and ``page``'s bound."""

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        for operation in (operations or {}).values():
            parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
            for parameter in parameters:
                if parameter.get("in") == "query" and parameter.get("name") == "page":
                    parameter.setdefault("schema", {})["maximum"] = MAX_PAGE
            names_a_row = (rule is not None and bool(rule.arguments)) or any(
                p.get("in") == "query" and str(p.get("name", "")).endswith("_id")
                for p in parameters)
            responses = operation.setdefault("responses", {})
            if names_a_row and "404" not in responses and 404 not in responses:
                responses["404"] = NOT_FOUND_DOC
