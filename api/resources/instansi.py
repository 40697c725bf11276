from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Page

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, InstansiIn, InstansiOut, ReadinessOut, ReadinessQuery
from workflow import directory
from workflow.clock import JAKARTA, utcnow
from workflow.lke import portalrb_feed

blp = Blueprint("instansi", __name__, url_prefix="/api/v1/instansi",
                description="Ministries, agencies and regional governments (K/L/Pemda)")


@blp.route("")
class InstansiCollection(MethodView):
    @blp.response(200, InstansiOut(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self) -> Any:
        """List the instansi the caller may see"""
        return directory.list_instansi(current_user())

    @blp.arguments(InstansiIn, example=examples.INSTANSI)
    @blp.response(201, InstansiOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an instansi (admin)"""
        return directory.create_instansi(current_user(), **data)


@blp.route("/<int:instansi_id>")
class InstansiItem(MethodView):
    @blp.response(200, InstansiOut)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, instansi_id: int) -> Any:
        """Show one instansi"""
        return directory.get_instansi(current_user(), instansi_id)


@blp.route("/<int:instansi_id>/proposal-readiness")
class ProposalReadiness(MethodView):
    @blp.arguments(ReadinessQuery, location="query")
    @blp.response(200, ReadinessOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, query: dict[str, Any], instansi_id: int) -> Any:
        """Each case of the year: would PortalRB see it, and if not, why (admin, inspectorate)"""
        tahun = query.get("tahun") or utcnow().astimezone(JAKARTA).year
        limit = int(current_app.config["PORTALRB_MAX_LINKED_FILE_MB"]) * 2**20
        report = portalrb_feed.proposal_readiness(current_user(), instansi_id, tahun, limit)
        return {"instansi_id": instansi_id, "tahun": tahun, "cases": [{
            "case_id": entry.case.id, "unit_id": entry.case.unit_id,
            "unit_code": entry.case.unit.code, "unit_name": entry.case.unit.name,
            "target": entry.case.target, "kategori": entry.kategori, "state": entry.case.state,
            "regulation": entry.case.regulation, "visible": entry.visible,
            "ready": entry.ready, "problems": [p.as_dict() for p in entry.problems],
        } for entry in report]}
