"""Request bodies are parsed with numbers as ``Decimal``: a score never passes through float."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict


def _no_constants(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


class DecimalJsonParser(FlaskParser):
    """webargs' parser with a 400 for a malformed body (422 is kept for refused guards)."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return json.loads(req.get_data(cache=True).decode("utf-8"), parse_float=Decimal,
                          parse_constant=_no_constants)

    def load_files(self, req: flask.Request, schema: Any) -> Any:
        """A multipart body whole, its files and its plain fields: OpenAPI 3 documents one
        request body per operation, so one schema (location ``files``) describes both."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = DecimalJsonParser()
