from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import DiagramQuery, ErrorSchema
from workflow import cases
from workflow.machine import mermaid

blp = Blueprint("workflow", __name__, url_prefix="/api/v1/workflow",
                description="The process definition")


@blp.route("/diagram")
class Diagram(MethodView):
    @blp.arguments(DiagramQuery, location="query")
    @blp.response(200, content_type="text/plain")
    @blp.alt_response(403, schema=ErrorSchema, description="the case is outside your scope")
    def get(self, query: dict[str, Any]) -> Any:
        """The state diagram as Mermaid text; with case_id, its current state highlighted"""
        current = None
        if "case_id" in query:
            current = cases.get_case(current_user(), query["case_id"]).state
        return Response(mermaid(current), mimetype="text/plain")
