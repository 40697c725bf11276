"""Evidence files (bukti dukung) of the unit's worksheet: upload, replace, delete, download."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, request, send_file
from flask.views import MethodView
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema
from api.worksheet_schemas import (
    EvidenceDeleteQuery,
    EvidenceReplaceIn,
    EvidenceUploadIn,
    EvidenceWriteOut,
)
from workflow import cases
from workflow.errors import FileTooLarge
from workflow.lke.sheets import evidence_body
from workflow.lke.storage import DirectoryStore
from workflow.models import Evidence

blp = Blueprint("evidence", __name__, url_prefix="/api/v1/cases",
                description="Evidence files (bukti dukung) of the unit's worksheet")

MULTIPART_SLACK = 64 * 1024  # the form fields and part headers around the file


def store() -> DirectoryStore:
    """The configured store (``STORAGE_DIR``, by default ``<instance>/evidence``)."""
    return DirectoryStore(Path(current_app.config["STORAGE_DIR"]))


def _max_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_BYTES"])


def _too_large() -> FileTooLarge:
    limit = _max_bytes()
    return FileTooLarge(f"Berkas lebih besar dari {limit} byte",
                        f"The file exceeds {limit} bytes",
                        errors={"file": [f"paling besar / at most {limit} bytes"]})


def limited_body(view: Callable[..., Any]) -> Callable[..., Any]:
    """Cap this request's body near the file limit before the multipart body is parsed, so
    an oversized upload is refused (413, our JSON body) without being spooled to disk."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        request.max_content_length = _max_bytes() + MULTIPART_SLACK
        try:
            return view(*args, **kwargs)
        except RequestEntityTooLarge as err:
            raise _too_large() from err

    return wrapper


def read_upload(upload: FileStorage) -> bytes:
    data = upload.stream.read(_max_bytes() + 1)
    if len(data) > _max_bytes():
        raise _too_large()
    return data


def _written(written: tuple[Evidence, int]) -> dict[str, Any]:
    row, case_version = written
    return {"evidence": evidence_body(row), "case_version": case_version}


@blp.route("/<int:case_id>/assessments/self/items/<item_id>/evidence")
class EvidenceUpload(MethodView):
    @limited_body
    @blp.arguments(EvidenceUploadIn, location="files")
    @blp.response(201, EvidenceWriteOut)
    @blp.alt_response(400, schema=ErrorSchema, description="unknown question, empty file")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    @blp.alt_response(413, schema=ErrorSchema, description="file_too_large")
    @blp.alt_response(415, schema=ErrorSchema,
                      description="unsupported_file_type: the type found is named")
    def post(self, data: dict[str, Any], case_id: int, item_id: str) -> Any:
        """Attach a file to a question of the unit's worksheet (multipart/form-data)"""
        upload: FileStorage = data["file"]
        written = cases.add_evidence_file(
            current_user(), case_id, item_id, upload.filename or "", read_upload(upload),
            data.get("description", ""), data["expected_version"], store(), _max_bytes())
        return _written(written)


@blp.route("/<int:case_id>/evidence/<int:evidence_id>")
class EvidenceItem(MethodView):
    @blp.response(200, {"format": "binary", "type": "string"},
                  content_type="application/octet-stream",
                  description="the file as uploaded, as an attachment")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found, evidence_is_link")
    def get(self, case_id: int, evidence_id: int) -> Any:
        """Download an evidence file; allowed to whoever may read the case's worksheets"""
        row = cases.evidence_for_download(current_user(), case_id, evidence_id)
        assert row.sha256 is not None and row.filename is not None
        response = send_file(store().open(row.sha256), mimetype=row.content_type,
                             as_attachment=True, download_name=row.filename,
                             etag=row.sha256, max_age=0, conditional=False)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @limited_body
    @blp.arguments(EvidenceReplaceIn, location="files")
    @blp.response(200, EvidenceWriteOut)
    @blp.alt_response(400, schema=ErrorSchema,
                      description="evidence_not_current: already replaced or deleted")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    @blp.alt_response(413, schema=ErrorSchema, description="file_too_large")
    @blp.alt_response(415, schema=ErrorSchema, description="unsupported_file_type")
    def put(self, data: dict[str, Any], case_id: int, evidence_id: int) -> Any:
        """Replace an evidence file with a new one; the old row and file are kept"""
        upload: FileStorage = data["file"]
        written = cases.replace_evidence_file(
            current_user(), case_id, evidence_id, upload.filename or "", read_upload(upload),
            data.get("description"), data["expected_version"], store(), _max_bytes())
        return _written(written)

    @blp.arguments(EvidenceDeleteQuery, location="query")
    @blp.response(200, EvidenceWriteOut)
    @blp.alt_response(400, schema=ErrorSchema, description="evidence_not_current")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    def delete(self, query: dict[str, Any], case_id: int, evidence_id: int) -> Any:
        """Take a file or link off its question (soft: the row and file are kept)"""
        return _written(cases.delete_evidence(current_user(), case_id, evidence_id,
                                              query["expected_version"]))
