"""Duties of the units (DOMAIN.md: Duties of a building unit) and the instansi dashboard."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, Id, JakartaDateTime
from workflow import duties
from workflow.dashboard import instansi_dashboard
from workflow.duty_calendar import KINDS, STATES

blp = Blueprint("duties", __name__, url_prefix="/api/v1/duties",
                description="Duties of the units: reports, checks and deadlines")
dashboard_blp = Blueprint("dashboard", __name__, url_prefix="/api/v1/instansi",
                          description="An instansi at a glance for its inspectorate")


class DutyQuery(Schema):
    unit_id = Id()
    state = fields.String(validate=validate.OneOf(STATES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    year = fields.Integer(validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "year of the due date"})


class DutyOut(Schema):
    id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))
    unit_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    subject = fields.String()
    period = fields.String()
    due_date = fields.Date(metadata={"description": "calendar date in Asia/Jakarta"})
    state = fields.String(validate=validate.OneOf(STATES))
    report = fields.String(allow_none=True)
    evidence = fields.List(fields.String(), allow_none=True)
    acknowledge_note = fields.String(allow_none=True)
    waive_reason = fields.String(allow_none=True)
    submitted_by = fields.Integer(allow_none=True)
    submitted_at = JakartaDateTime(allow_none=True)
    acknowledged_by = fields.Integer(allow_none=True)
    acknowledged_at = JakartaDateTime(allow_none=True)
    waived_by = fields.Integer(allow_none=True)
    waived_at = JakartaDateTime(allow_none=True)
    created_at = JakartaDateTime()


class DutySubmitIn(Schema):
    report = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    evidence = fields.List(fields.String(validate=validate.Length(min=1, max=2000)),
                           load_default=list, validate=validate.Length(max=50))


class DutyAcknowledgeIn(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=4000))


class DutyWaiveIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CaseCountOut(Schema):
    state = fields.String()
    target = fields.String()
    count = fields.Integer()


class DutyCountOut(Schema):
    kind = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()


class DeadlineOut(Schema):
    duty_id = fields.Integer()
    kind = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.String()
    period = fields.String()
    due_date = fields.Date()
    state = fields.String()


class DashboardOut(Schema):
    instansi_id = fields.Integer()
    instansi_name = fields.String()
    today = fields.Date(metadata={"description": "today in Asia/Jakarta"})
    units = fields.Integer()
    cases = fields.List(fields.Nested(CaseCountOut))
    duties = fields.List(fields.Nested(DutyCountOut))
    next_deadlines = fields.List(fields.Nested(DeadlineOut))


@blp.route("")
class DutyCollection(MethodView):
    @blp.arguments(DutyQuery, location="query")
    @blp.response(200, DutyOut(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    @blp.alt_response(403, schema=ErrorSchema, description="out_of_scope (unit_id)")
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Any:
        """List the duties the caller may see, soonest due first"""
        rows, total = duties.list_duties(current_user(), page=pagination_parameters.page,
                                         page_size=pagination_parameters.page_size, **query)
        pagination_parameters.item_count = total
        return rows


@blp.route("/<int:duty_id>")
class DutyItem(MethodView):
    @blp.response(200, DutyOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, duty_id: int) -> Any:
        """Show one duty"""
        return duties.get_duty(current_user(), duty_id)


@blp.route("/<int:duty_id>/submit")
class DutySubmit(MethodView):
    @blp.arguments(DutySubmitIn, example=examples.DUTY_SUBMIT)
    @blp.response(200, DutyOut)
    @blp.alt_response(403, schema=ErrorSchema, description="forbidden_for_role, out_of_scope")
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="transition_not_available")
    def post(self, data: dict[str, Any], duty_id: int) -> Any:
        """Hand in the report of an open or overdue duty (the unit's coordinator)"""
        return duties.submit(current_user(), duty_id, data["report"], data["evidence"])


@blp.route("/<int:duty_id>/acknowledge")
class DutyAcknowledge(MethodView):
    @blp.arguments(DutyAcknowledgeIn, example=examples.DUTY_ACKNOWLEDGE)
    @blp.response(200, DutyOut)
    @blp.alt_response(403, schema=ErrorSchema,
                      description="forbidden_for_role, out_of_scope, conflict_of_interest")
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="transition_not_available")
    def post(self, data: dict[str, Any], duty_id: int) -> Any:
        """Accept a submitted report (the instansi's inspectorate)"""
        return duties.acknowledge(current_user(), duty_id, data.get("note"))


@blp.route("/<int:duty_id>/waive")
class DutyWaive(MethodView):
    @blp.arguments(DutyWaiveIn, example=examples.DUTY_WAIVE)
    @blp.response(200, DutyOut)
    @blp.alt_response(403, schema=ErrorSchema,
                      description="forbidden_for_role, out_of_scope, conflict_of_interest")
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="transition_not_available")
    def post(self, data: dict[str, Any], duty_id: int) -> Any:
        """Release the unit from an open or overdue duty, with a reason (inspectorate)"""
        return duties.waive(current_user(), duty_id, data["reason"])


@dashboard_blp.route("/<int:instansi_id>/dashboard")
class InstansiDashboard(MethodView):
    @dashboard_blp.response(200, DashboardOut)
    @dashboard_blp.alt_response(403, schema=ErrorSchema,
                                description="forbidden_for_role, out_of_scope")
    @dashboard_blp.alt_response(404, schema=ErrorSchema)
    def get(self, instansi_id: int) -> Any:
        """Cases per state and target, duties open and overdue per kind, next deadlines"""
        return instansi_dashboard(current_user(), instansi_id)
