"""Failed and uncertain deliveries for admins (issue 9): not only by e-mail, which may be
what is failing."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, OutboxMessageDetailOut, OutboxMessageOut, OutboxQuery
from notifications import outbox
from workflow.permissions import require_role

blp = Blueprint("outbox", __name__, url_prefix="/api/v1/outbox",
                description="E-mail deliveries (admin): what failed and why, and retrying it")


@blp.route("")
class OutboxCollection(MethodView):
    @blp.arguments(OutboxQuery, location="query")
    @blp.response(200, OutboxMessageOut(many=True))
    @blp.alt_response(403, schema=ErrorSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Messages by status, newest first; by default the failed and uncertain (admin)"""
        require_role(current_user(), ("admin",))
        return outbox.list_messages(query.get("status") or outbox.NEEDS_AN_OPERATOR)


@blp.route("/<int:message_id>")
class OutboxItem(MethodView):
    @blp.response(200, OutboxMessageDetailOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, message_id: int) -> Any:
        """One message with every attempt (admin)"""
        require_role(current_user(), ("admin",))
        message, attempts = outbox.get_message(message_id)
        return {**{name: getattr(message, name) for name in OutboxMessageOut().fields},
                "attempt_log": attempts}


@blp.route("/<int:message_id>/retry")
class OutboxRetry(MethodView):
    @blp.response(200, OutboxMessageOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def post(self, message_id: int) -> Any:
        """Re-queue a failed or uncertain message with a new retry budget (admin)"""
        require_role(current_user(), ("admin",))
        return outbox.retry(message_id)
