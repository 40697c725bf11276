from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.views import MethodView
from flask_smorest import Page

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import (
    AssessmentIn,
    AssessmentOut,
    AuditEventOut,
    CaseOut,
    DeclarationIn,
    DeclarationOut,
    ErrorSchema,
    Figure,
    ProposalIn,
    ProposalOut,
    TransitionIn,
)
from workflow import cases
from workflow.case_record import CaseRecord
from workflow.errors import NotFound
from workflow.facts import missing_fields
from workflow.lke import portalrb_feed
from workflow.models import Case, User

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases",
                description="Designation cases: declaration, assessments, transitions, history")


def case_body(user: User, case: Case | CaseRecord, available: list[dict[str, Any]] | None = None
              ) -> dict[str, Any]:
    fetch = portalrb_feed.fetch_state(case)
    return {
        "id": case.id, "unit_id": case.unit_id, "target": case.target, "year": case.year,
        "regulation": case.regulation, "state": case.state, "version": case.version,
        "rubric_id": case.rubric_id,
        "building_since": case.building_since,
        "available_transitions": (cases.available_transitions(user, case)
                                  if available is None else available),
        "portalrb_last_fetched_at": fetch.last_fetched_at,
        "portalrb_changed_since_fetch": fetch.changed_since_fetch,
    }


@blp.route("/<int:case_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, case_id: int) -> Any:
        """Show a case and the transitions the caller's role could fire"""
        user = current_user()
        return case_body(user, cases.get_case(user, case_id))


@blp.route("/<int:case_id>/declaration")
class CaseDeclaration(MethodView):
    @blp.response(200, DeclarationOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: none recorded yet")
    def get(self, case_id: int) -> Any:
        """Show the pencanangan as last recorded"""
        declaration = cases.get_case(current_user(), case_id).declaration
        if declaration is None:
            raise NotFound("Data pencanangan belum diisi", "No declaration recorded yet")
        return declaration

    @blp.arguments(DeclarationIn, example=examples.DECLARATION)
    @blp.response(200, DeclarationOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="not_editable_in_state")
    def put(self, data: dict[str, Any], case_id: int) -> Any:
        """Record the pencanangan: Pakta Integritas, commitment, ZI team (coordinator)"""
        expected = data.pop("expected_version")
        return cases.put_declaration(current_user(), case_id, data, expected)


@blp.route("/<int:case_id>/assessments/<any(self, tpi, tpn):kind>")
class CaseAssessment(MethodView):
    @blp.arguments(AssessmentIn, examples=examples.summary_examples(final=True,
                                                                   expected_version=12))
    @blp.doc(**examples.summary_body(entered=True))
    @blp.response(200, AssessmentOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="not_editable_in_state")
    def put(self, data: dict[str, Any], case_id: int, kind: str) -> Any:
        """Enter the TPN assessment in summary form (area figures only)"""
        row, evaluation = cases.put_assessment(current_user(), case_id, kind,
                                               data["areas"], data["hasil"], data["final"],
                                               data["expected_version"])
        return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "final": row.final,
                "areas": row.areas, "hasil": row.hasil,
                "missing": missing_fields(row.regulation, row.areas, row.hasil),
                "evaluation": evaluation.as_dict() if evaluation else None}


@blp.route("/<int:case_id>/proposal")
class CaseProposal(MethodView):
    @blp.response(200, ProposalOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="not_found: none recorded yet")
    def get(self, case_id: int) -> Any:
        """Show the 90/2021 proposal conditions as last recorded"""
        case = cases.get_case(current_user(), case_id)
        if case.proposal is None:
            raise NotFound("Syarat pengusulan belum diisi", "No proposal conditions recorded yet")
        figures = {name for name, field in ProposalOut._declared_fields.items()
                   if isinstance(field, Figure)}
        return {**{key: Decimal(value) if key in figures else value
                   for key, value in case.proposal.items()}, "case_id": case.id}

    @blp.arguments(ProposalIn, example=examples.PROPOSAL_90)
    @blp.response(200, CaseOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def put(self, data: dict[str, Any], case_id: int) -> Any:
        """Record the 90/2021 proposal conditions checked at tpi_approve"""
        user = current_user()
        expected = data.pop("expected_version")
        return case_body(user, cases.put_proposal(user, case_id, data, expected))


@blp.route("/<int:case_id>/transitions")
class CaseTransitions(MethodView):
    @blp.arguments(TransitionIn, examples=examples.TRANSITION)
    @blp.response(200, CaseOut)
    @blp.alt_response(403, schema=ErrorSchema, description="forbidden_for_role, out_of_scope")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="stale_version, transition_not_available")
    @blp.alt_response(422, schema=ErrorSchema, description="guard_failed with every unmet")
    def post(self, data: dict[str, Any], case_id: int) -> Any:
        """Fire a trigger on the case"""
        user = current_user()
        done = cases.transition(user, case_id, data["trigger"], data["expected_version"],
                                data.get("reason"))
        return case_body(user, done.case, done.available)


@blp.route("/<int:case_id>/history")
class CaseHistory(MethodView):
    @blp.response(200, AuditEventOut(many=True))
    @blp.paginate(Page, page_size=1000, max_page_size=10000)
    @blp.alt_response(403, schema=ErrorSchema)
    def get(self, case_id: int) -> Any:
        """The case's audit events, oldest first"""
        return cases.history(current_user(), case_id)
