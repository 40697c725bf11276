"""The LKE worksheets of a case, question by question (issue 6)."""

from __future__ import annotations

import io
from typing import Any

from flask import send_file
from flask.views import MethodView
from flask_smorest import Page

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.resources.cases import case_body
from api.resources.evidence import limited_body, read_upload
from api.schemas import CaseOut, ErrorSchema
from api.worksheet_schemas import (
    AnswerIn,
    AnswersIn,
    ExcelImportIn,
    ExcelImportOut,
    ExplainOut,
    ExplainQuery,
    RevisionOut,
    SideBySideOut,
    WorksheetOut,
)
from workflow import cases
from workflow.lke.excel import XLSX

blp = Blueprint("worksheets", __name__, url_prefix="/api/v1/cases",
                description="LKE worksheets: answers per question, review flags, explained scores")

KIND = "<any(self, tpi, tpn):kind>"


@blp.route("/<int:case_id>/assessments")
class SideBySide(MethodView):
    @blp.response(200, SideBySideOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, case_id: int) -> Any:
        """Self, TPI and TPN answers side by side, per question and per area"""
        return cases.side_by_side(current_user(), case_id)


@blp.route(f"/<int:case_id>/assessments/{KIND}")
class Worksheet(MethodView):
    @blp.response(200, WorksheetOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, case_id: int, kind: str) -> Any:
        """The whole worksheet: every question with answer, note, evidence, flags; the score"""
        return cases.worksheet(current_user(), case_id, kind)


@blp.route(f"/<int:case_id>/assessments/{KIND}/items")
class WorksheetItems(MethodView):
    @blp.arguments(AnswersIn, example=examples.ANSWERS)
    @blp.response(200, CaseOut)
    @blp.alt_response(400, schema=ErrorSchema, description="errors per item: items.<id>.<field>")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    def patch(self, data: dict[str, Any], case_id: int, kind: str) -> Any:
        """Answer many questions in one transaction: all or nothing"""
        user = current_user()
        case = cases.put_answers(user, case_id, kind, data["items"], data["expected_version"])
        return case_body(user, case)


@blp.route(f"/<int:case_id>/assessments/{KIND}/items/<item_id>")
class WorksheetItem(MethodView):
    @blp.arguments(AnswerIn, example=examples.ANSWER)
    @blp.response(200, CaseOut)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    def put(self, data: dict[str, Any], case_id: int, kind: str, item_id: str) -> Any:
        """Answer one question: an option, a survey index or counts, with a note"""
        user = current_user()
        expected = data.pop("expected_version")
        case = cases.put_answers(user, case_id, kind, [{**data, "item_id": item_id}], expected)
        return case_body(user, case)


@blp.route(f"/<int:case_id>/assessments/{KIND}/items/<item_id>/revisions")
class WorksheetItemRevisions(MethodView):
    @blp.response(200, RevisionOut(many=True))
    @blp.paginate(Page, page_size=1000, max_page_size=10000)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, case_id: int, kind: str, item_id: str) -> Any:
        """Every revision of one answer, oldest first"""
        return cases.answer_revisions(current_user(), case_id, kind, item_id)


@blp.route(f"/<int:case_id>/assessments/{KIND}/explain")
class WorksheetExplain(MethodView):
    @blp.arguments(ExplainQuery, location="query")
    @blp.response(200, ExplainOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, query: dict[str, Any], case_id: int, kind: str) -> Any:
        """Every figure with its inputs, weights and arithmetic; what would lift a shortfall"""
        return cases.explain_worksheet(current_user(), case_id, kind, query.get("target"))


@blp.route(f"/<int:case_id>/assessments/{KIND}.xlsx")
class WorksheetExcel(MethodView):
    @blp.response(200, {"format": "binary", "type": "string"}, content_type=XLSX,
                  description="sheet Jawaban in PortalRB's layout, sheet Nilai the scores")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, case_id: int, kind: str) -> Any:
        """The worksheets as PortalRB's Excel LKE (the scores of this kind)"""
        data = cases.export_excel(current_user(), case_id, kind)
        response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                             download_name=f"lke-kasus-{case_id}-{kind}.xlsx")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @limited_body
    @blp.arguments(ExcelImportIn, location="files")
    @blp.response(200, ExcelImportOut)
    @blp.alt_response(400, schema=ErrorSchema,
                      description="excel_invalid: errors by cell (Jawaban!K12), each naming "
                                  "the question; nothing is written")
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, not_editable_in_state")
    @blp.alt_response(413, schema=ErrorSchema, description="file_too_large")
    def put(self, data: dict[str, Any], case_id: int, kind: str) -> Any:
        """Import this kind's columns of a filled Excel file: all or nothing"""
        changed, version = cases.import_excel(current_user(), case_id, kind,
                                              read_upload(data["file"]),
                                              data["expected_version"])
        return {"changed": changed, "case_version": version}
