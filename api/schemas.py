"""Request and response shapes of the HTTP contract (they also write the OpenAPI document)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from workflow.clock import JAKARTA, as_utc
from workflow.directory import INSTANSI_KINDS
from workflow.inputs import (
    BPK_OPINIONS,
    COMMITMENT_MAX,
    MAX_INT,
    REASON_MAX,
    SAKIP_GRADES,
    SPIP_MAX,
    SPIP_MIN,
    TARGETS,
    TEAM_MAX,
    TEAM_NAME_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from workflow.lke.rubric import RUBRIC_IDS
from workflow.lke.scoring import parse_decimal
from workflow.machine import SPECS, STATES


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802 (reads as a field type)
    """A row id: a positive integer a database column can hold."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_INT), **kwargs)


#: What ``parse_decimal`` takes as text (at most 40 characters, no exponent), for the document.
FIGURE_PATTERN = r"^[+-]?[0-9]{1,20}(\.[0-9]{1,15})?$"


def figure_schema(**number: Any) -> dict[str, Any]:
    """A Figure in the OpenAPI document: a decimal string, or a JSON number."""
    return {"anyOf": [{"type": "string", "pattern": FIGURE_PATTERN},
                      {"type": "number", **number}]}


class Figure(fields.Field):
    """A score: a decimal string or a JSON number (parsed as Decimal), never a float."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            return parse_decimal(value)
        except (ValueError, TypeError) as err:
            raise ValidationError("Bukan angka desimal / not a decimal number") from err

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else f"{value:.2f}"


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "true" are refused, not guessed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Harus true atau false / must be true or false")
        return value


class JakartaDateTime(fields.DateTime):
    """Stored in UTC, shown in Asia/Jakarta (ISO 8601 with the +07:00 offset)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else as_utc(value).astimezone(JAKARTA).isoformat()


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "stable machine-readable code"})
    message = fields.String(metadata={"description": "Indonesian message"})
    message_en = fields.String(metadata={"description": "English message"})
    errors = fields.Dict(metadata={"description": "field -> messages, for invalid input"})
    unmet = fields.List(fields.Dict(), metadata={"description": "each unmet condition"})


class InstansiIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(INSTANSI_KINDS))


class InstansiOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class UnitIn(Schema):
    instansi_id = Id(strict=True, required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    eselon = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=4))
    strategic_service = StrictBoolean(required=True)
    rb_implemented = StrictBoolean(required=True)
    large_resources = StrictBoolean(required=True)
    afirmasi = StrictBoolean(load_default=False, metadata={
        "description": "an affirmative-action unit (admin): proposed to PortalRB as WBK-AFIRMASI"})


class UnitOut(UnitIn):
    id = fields.Integer()


class UnitPatch(Schema):
    """An admin's change to a unit; only the fields given change."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    afirmasi = fields.Boolean()


class UnitQuery(Schema):
    instansi_id = Id()


class CaseIn(Schema):
    target = fields.String(required=True, validate=validate.OneOf(TARGETS))
    year = fields.Integer(strict=True, required=True,
                          validate=validate.Range(min=YEAR_MIN, max=YEAR_MAX))
    regulation = fields.String(required=True, validate=validate.OneOf(RUBRIC_IDS))
    rubric = fields.String(load_default=None, validate=validate.Length(min=1, max=60), metadata={
        "description": "rubric version to score by (GET /rubrics); default: the regulation's "
                       "own, e.g. lke-portalrb-2026 for permenpanrb-90-2021"})


class UnmetOut(Schema):
    code = fields.String()
    message = fields.String()
    message_en = fields.String()
    subject = fields.String()
    value = fields.String()
    minimum = fields.String()
    question_ids = fields.List(fields.String(), metadata={"description": "worksheet question ids"})


class AvailableTransitionOut(Schema):
    trigger = fields.String()
    allowed = fields.Boolean()
    requires_reason = fields.Boolean()
    unmet = fields.List(fields.Nested(UnmetOut))


class CaseOut(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    target = fields.String()
    year = fields.Integer()
    regulation = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    version = fields.Integer()
    rubric_id = fields.String()
    building_since = fields.Date(allow_none=True)
    available_transitions = fields.List(fields.Nested(AvailableTransitionOut))
    portalrb_last_fetched_at = JakartaDateTime(allow_none=True, metadata={
        "description": "when PortalRB last fetched the case's answers (null: never)"})
    portalrb_changed_since_fetch = fields.Boolean(metadata={
        "description": "what PortalRB would get now differs from what it fetched: press "
                       "Refetch there"})


class DeclarationIn(Schema):
    staff_total = fields.Integer(strict=True, required=True,
                                 validate=validate.Range(min=1, max=MAX_INT))
    pakta_signed = fields.Integer(strict=True, required=True,
                                  validate=validate.Range(min=0, max=MAX_INT))
    head_signed = StrictBoolean(required=True)
    commitment_statement = fields.String(required=True,
                                         validate=validate.Length(max=COMMITMENT_MAX))
    team = fields.List(fields.String(validate=validate.Length(max=TEAM_NAME_MAX)), required=True,
                       validate=validate.Length(max=TEAM_MAX))
    expected_version = fields.Integer(strict=True, required=True, load_only=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class DeclarationOut(DeclarationIn):
    case_id = fields.Integer()
    updated_at = JakartaDateTime()


class SummaryIn(Schema):
    """An assessment in summary form: the six pengungkit area points and the hasil inputs."""

    areas = fields.Dict(keys=fields.String(), values=Figure(), required=True)
    hasil = fields.Dict(keys=fields.String(), values=Figure(), required=True)


class AssessmentIn(SummaryIn):
    final = StrictBoolean(required=True)
    expected_version = fields.Integer(strict=True, required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class EvaluationOut(Schema):
    """Every figure is a string with two decimals (DOMAIN.md: Thresholds)."""

    regulation = fields.String()
    areas = fields.Dict(keys=fields.String(), values=fields.String())
    pengungkit = fields.String()
    components = fields.Dict(keys=fields.String(), values=fields.String())
    hasil = fields.Dict(keys=fields.String(), values=fields.String())
    total = fields.String()
    predicates = fields.Dict()


class AssessmentOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    kind = fields.String()
    final = fields.Boolean()
    areas = fields.Dict(keys=fields.String(), values=fields.String())
    hasil = fields.Dict(keys=fields.String(), values=fields.String())
    missing = fields.List(fields.String())
    evaluation = fields.Nested(EvaluationOut, allow_none=True)


class ProposalIn(Schema):
    """PermenPANRB 90/2021 as amended by 5/2024: the conditions checked at tpi_approve."""

    bpk_opinion = fields.String(required=True, validate=validate.OneOf(BPK_OPINIONS))
    sakip_instansi = fields.String(required=True, validate=validate.OneOf(SAKIP_GRADES))
    indeks_rb = Figure(required=True)
    spip_level = fields.Integer(strict=True, required=True,
                                validate=validate.Range(min=SPIP_MIN, max=SPIP_MAX))
    tlhp_percent = Figure(required=True)
    lhkpn_percent = Figure(required=True)
    lhkasn_percent = Figure(required=True)
    sakip_unit = fields.String(required=True, validate=validate.OneOf(SAKIP_GRADES))
    expected_version = fields.Integer(strict=True, required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))


class ProposalOut(ProposalIn):
    case_id = fields.Integer()

    class Meta:
        exclude = ("expected_version",)


class TransitionIn(Schema):
    trigger = fields.String(required=True, validate=validate.OneOf(tuple(SPECS)))
    expected_version = fields.Integer(strict=True, required=True,
                                      validate=validate.Range(min=1, max=MAX_INT))
    reason = fields.String(load_default=None, validate=validate.Length(max=REASON_MAX))


class AuditEventOut(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_email = fields.String()
    role = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    reason = fields.String(allow_none=True)
    score = fields.Dict(allow_none=True)
    case_version = fields.Integer()
    occurred_at = JakartaDateTime()
    prev_hash = fields.String()
    hash = fields.String()


class ReadinessQuery(Schema):
    tahun = fields.Integer(validate=validate.Range(min=2000, max=2100), metadata={
        "description": "evaluation year; default: the current year in Asia/Jakarta"})


class ReadinessCaseOut(Schema):
    case_id = fields.Integer()
    unit_id = fields.Integer()
    unit_code = fields.String(metadata={"description": "PortalRB's unit id"})
    unit_name = fields.String()
    target = fields.String()
    kategori = fields.String()
    state = fields.String()
    regulation = fields.String()
    visible = fields.Boolean(metadata={"description": "PortalRB lists it and can fetch it"})
    ready = fields.Boolean(metadata={"description": "visible, and nothing left to fix"})
    problems = fields.List(fields.Nested(UnmetOut))


class ReadinessOut(Schema):
    instansi_id = fields.Integer()
    tahun = fields.Integer()
    cases = fields.List(fields.Nested(ReadinessCaseOut))


class DiagramQuery(Schema):
    case_id = Id()


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    instansi_id = fields.Integer(allow_none=True)
    unit_ids = fields.Function(lambda user: sorted(user.unit_ids))
    language = fields.String()
    daily_digest = fields.Boolean()
    active = fields.Boolean()


class UserPatchIn(Schema):
    """``active`` alone (de)activates; ``role`` sets role and scope together."""

    active = StrictBoolean()
    role = fields.String(validate=validate.OneOf(("coordinator", "inspectorate", "tpn", "admin")))
    units = fields.List(Id(strict=True), load_default=list, validate=validate.Length(max=1000))
    instansi_id = Id(strict=True, load_default=None, allow_none=True)


class TokenOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    created_at = JakartaDateTime()
    expires_at = JakartaDateTime()
    revoked_at = JakartaDateTime(allow_none=True)


class IssuedTokenOut(Schema):
    user_id = fields.Integer()
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})


class OutboxAttemptOut(Schema):
    attempted_at = JakartaDateTime()
    outcome = fields.String(metadata={
        "description": "sent, temporary, permanent; started (under way), unknown (the "
                       "dispatcher stopped between sending and recording), requeued (by an "
                       "operator)"})
    smtp_code = fields.Integer(allow_none=True)
    detail = fields.String(allow_none=True)


class OutboxMessageOut(Schema):
    id = fields.Integer()
    template = fields.String()
    recipient_email = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    rfc_message_id = fields.String(allow_none=True)
    created_at = JakartaDateTime()
    next_attempt_at = JakartaDateTime()
    give_up_at = JakartaDateTime(allow_none=True)
    sent_at = JakartaDateTime(allow_none=True)


class OutboxMessageDetailOut(OutboxMessageOut):
    attempt_log = fields.List(fields.Nested(OutboxAttemptOut))


class OutboxQuery(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(
        ("pending", "sending", "sent", "failed", "uncertain", "digested"))),
        metadata={"description": "repeatable; default failed and uncertain"})
