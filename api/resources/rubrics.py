from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Page

from api import examples
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, EvaluationOut, SummaryIn
from api.worksheet_schemas import RubricOut, RubricSummaryOut
from workflow.errors import InvalidInput
from workflow.lke.scoring import evaluate, validate_inputs
from workflow.lke.sheets import version_questions
from workflow.lke.versions import get_row, get_version, list_versions
from workflow.models import RubricVersion

blp = Blueprint("rubrics", __name__, url_prefix="/api/v1/rubrics",
                description="The evaluation worksheets (LKE): versions, questions, scoring")


def _summary(row: RubricVersion) -> dict[str, Any]:
    version = get_version(row.id)
    return {"id": row.id, "title": row.title, "format": row.format,
            "regulation": row.regulation, "sha256": row.content_sha256,
            "questions": len(version.worksheet.questions)}


@blp.route("")
class Rubrics(MethodView):
    @blp.response(200, RubricSummaryOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self) -> Any:
        """Every rubric version stored, built-in ones included"""
        return [_summary(row) for row in list_versions()]


@blp.route("/<rubric_id>")
class RubricItem(MethodView):
    @blp.response(200, RubricOut)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, rubric_id: str) -> Any:
        """A rubric version down to each question: answer type, options, weights, soal ids"""
        row = get_row(rubric_id)
        version = get_version(rubric_id)
        return {**_summary(row),
                "areas": {key: f"{weight}" for key, weight
                          in version.rubric.pengungkit_areas.items()},
                "indicators": [{"path": i.path, "name": i.name, "weight": f"{i.weight}",
                                "questions": list(i.questions)}
                               for i in version.worksheet.indicators],
                "question_list": version_questions(version)}


@blp.route("/<rubric_id>/evaluate")
class RubricEvaluate(MethodView):
    @blp.arguments(SummaryIn, examples=examples.summary_examples())
    @blp.doc(**examples.summary_body())
    @blp.response(200, EvaluationOut)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def post(self, data: dict[str, Any], rubric_id: str) -> Any:
        """Score a summary assessment against a rubric version's thresholds"""
        rubric = get_version(rubric_id).rubric
        errors = validate_inputs(rubric, data["areas"], data["hasil"])
        if errors:
            raise InvalidInput("Angka penilaian tidak valid", "Invalid assessment figures",
                               errors={field: [message] for field, message in errors.items()})
        return evaluate(rubric, data["areas"], data["hasil"]).as_dict()
