from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.jsonbody import Blueprint
from api.schemas import AssessmentIn, ErrorSchema, EvaluationOut
from workflow.errors import InvalidInput, NotFound
from workflow.lke.rubric import UnknownRubric, load_rubric
from workflow.lke.scoring import evaluate, validate_inputs

blp = Blueprint("rubrics", __name__, url_prefix="/api/v1/rubrics",
                description="The evaluation worksheets (LKE) and their scoring")


@blp.route("/<regulation>/evaluate")
class RubricEvaluate(MethodView):
    @blp.arguments(AssessmentIn)
    @blp.response(200, EvaluationOut)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def post(self, data: dict[str, Any], regulation: str) -> Any:
        """Score a summary assessment against a regulation's thresholds"""
        try:
            rubric = load_rubric(regulation)
        except UnknownRubric as err:
            raise NotFound(f"Regulasi {regulation} tidak dikenal",
                           f"Unknown regulation {regulation}") from err
        errors = validate_inputs(rubric, data["areas"], data["hasil"])
        if errors:
            raise InvalidInput("Angka penilaian tidak valid", "Invalid assessment figures",
                               errors={field: [message] for field, message in errors.items()})
        return evaluate(rubric, data["areas"], data["hasil"]).as_dict()
