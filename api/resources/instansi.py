from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, InstansiIn, InstansiOut
from workflow import directory

blp = Blueprint("instansi", __name__, url_prefix="/api/v1/instansi",
                description="Ministries, agencies and regional governments (K/L/Pemda)")


@blp.route("")
class InstansiCollection(MethodView):
    @blp.response(200, InstansiOut(many=True))
    def get(self) -> Any:
        """List the instansi the caller may see"""
        return directory.list_instansi(current_user())

    @blp.arguments(InstansiIn)
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
