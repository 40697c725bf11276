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


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = DecimalJsonParser()
    PAGINATION_ARGUMENTS_PARSER = PageParser()
