from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Page

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.resources.cases import case_body
from api.schemas import CaseIn, CaseOut, ErrorSchema, UnitIn, UnitOut, UnitPatch, UnitQuery
from workflow import cases, directory

blp = Blueprint("units", __name__, url_prefix="/api/v1/units",
                description="Work units (unit kerja) and the cases opened for them")


@blp.route("")
class UnitCollection(MethodView):
    @blp.arguments(UnitQuery, location="query")
    @blp.response(200, UnitOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, query: dict[str, Any]) -> Any:
        """List the units the caller may see"""
        return directory.list_units(current_user(), query.get("instansi_id"))

    @blp.arguments(UnitIn, example=examples.UNIT)
    @blp.response(201, UnitOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a unit (admin)"""
        return directory.create_unit(current_user(), **data)


@blp.route("/<int:unit_id>")
class UnitItem(MethodView):
    @blp.response(200, UnitOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, unit_id: int) -> Any:
        """Show one unit"""
        return directory.get_unit(current_user(), unit_id)

    @blp.arguments(UnitPatch, example=examples.UNIT_PATCH)
    @blp.response(200, UnitOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def patch(self, data: dict[str, Any], unit_id: int) -> Any:
        """Change a unit's name or afirmasi flag (admin); PortalRB sees it at its next sync"""
        return directory.update_unit(current_user(), unit_id, data)


@blp.route("/<int:unit_id>/cases")
class UnitCases(MethodView):
    @blp.response(200, CaseOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    @blp.alt_response(403, schema=ErrorSchema, description="out_of_scope")
    def get(self, unit_id: int) -> Any:
        """List the unit's cases"""
        user = current_user()
        return [case_body(user, case) for case in cases.list_cases(user, unit_id)]

    @blp.arguments(CaseIn, examples=examples.OPEN_CASE)
    @blp.response(201, CaseOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="case_already_open")
    @blp.alt_response(422, schema=ErrorSchema, description="wbk_not_held, revocation_block")
    def post(self, data: dict[str, Any], unit_id: int) -> Any:
        """Open a case (pencanangan) for a target predicate"""
        user = current_user()
        return case_body(user, cases.open_case(user, unit_id, **data))
