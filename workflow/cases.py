"""Use cases on a designation case. Each one is one database transaction: the change, its
audit event and its outbox messages commit together or not at all.

A transition locks the case row (``SELECT … FOR UPDATE`` on PostgreSQL), checks the
client's expected version, evaluates role, scope and guards, moves the state through the
shared machine, appends the audit event and writes the notices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from workflow import case_record, guards, transition_writes
from workflow.audit import append_event
from workflow.case_record import CaseRecord
from workflow.clock import add_years, as_utc, utcnow
from workflow.db import db
from workflow.directory import get_unit
from workflow.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from workflow.facts import (
    Sheets,
    Summaries,
    case_facts,
    holds_wbk,
    latest_assessments,
    missing_fields,
    summaries_from,
    summary_columns,
)
from workflow.inputs import TARGETS as TARGETS
from workflow.lke import answers as worksheets
from workflow.lke import evidence, portalrb_feed, sheets, standing, transfer
from workflow.lke.rubric import UnknownRubric, load_rubric
from workflow.lke.scoring import Evaluation, evaluate, validate_inputs
from workflow.lke.storage import EvidenceStore
from workflow.lke.versions import pin, version_for_case
from workflow.machine import (
    INITIAL_STATE,
    SPECS,
    GuardsRefused,
    InvalidTrigger,
    TransitionSpec,
    actors,
    fire,
    triggers_from,
    unmet_conditions,
)
from workflow.metrics import TRANSITIONS
from workflow.models import Assessment, AuditEvent, Case, Declaration, Evidence, User
from workflow.notices import TRANSITION_AUDIENCE
from workflow.permissions import require_act, require_view
from workflow.settings import current_policy
from workflow.transition_writes import Notice

T = TypeVar("T")
ASSESSOR_ROLE = {"self": "coordinator", "tpi": "inspectorate", "tpn": "tpn"}
ASSESSMENT_STATES = {"self": ("pencanangan", "pembangunan"), "tpi": ("pengusulan",),
                     "tpn": ("reviu_tpn",)}
DECLARATION_STATES = ("pencanangan", "pembangunan")
PROPOSAL_STATES = ("pembangunan", "pengusulan")


def _in_transaction(work: Callable[[], T], keep: bool = False) -> T:
    """Run ``work`` and commit; roll back on any error, reporting lost races as 409.

    ``keep``: the objects ``work`` wrote stay loaded after the commit (they hold exactly
    what was committed), so the answer is built without reading them back.
    """
    session = db.session()
    try:
        result = work()
        session.expire_on_commit = not keep
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        return result
    except StaleDataError as err:
        db.session.rollback()
        raise StaleVersion() from err
    except BaseException:
        db.session.rollback()
        raise


def _lock_query(case_id: Any) -> Select[Case]:
    return (select(Case).where(Case.id == case_id)
            .options(joinedload(Case.unit), joinedload(Case.declaration),
                     joinedload(Case.portalrb_fetch))
            .with_for_update(of=Case).execution_options(populate_existing=True))


def _not_found(case_id: int) -> NotFound:
    return NotFound(f"Kasus {case_id} tidak ditemukan", f"Case {case_id} not found")


def _locked_case(case_id: int) -> Case:
    """The case row locked for this transaction, with its unit and declaration."""
    case: Case | None = db.session.execute(_lock_query(case_id)).unique().scalar_one_or_none()
    if case is None:
        raise _not_found(case_id)
    return case


def get_case(actor: User, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound(f"Kasus {case_id} tidak ditemukan", f"Case {case_id} not found")
    require_view(actor, case.unit)
    return case


def _require_state(case: Case, states: tuple[str, ...], what_id: str, what_en: str) -> None:
    if case.state not in states:
        raise Conflict(f"{what_id} tidak dapat diubah pada tahap {case.state}",
                       f"{what_en} cannot be changed in state {case.state}",
                       code="not_editable_in_state")


def open_case(actor: User, unit_id: int, target: str, year: int, regulation: str,
              now: datetime | None = None, rubric: str | None = None) -> Case:
    """Pencanangan of a unit for a target, checking the rules across cases."""
    now = now or utcnow()

    def work() -> Case:
        unit = get_unit(actor, unit_id)
        require_act(actor, unit, ("coordinator", "admin"))
        try:
            load_rubric(regulation)
        except UnknownRubric as err:
            raise InvalidInput("Versi regulasi tidak dikenal", "Unknown regulation version",
                               errors={"regulation": [f"tidak dikenal / unknown: {regulation}"]}
                               ) from err
        unmet = []
        if target == "WBBM" and not holds_wbk(unit.id):
            unmet.append(guards.wbk_not_held())
        revoked_at = db.session.execute(
            select(func.max(Case.revoked_at)).where(Case.unit_id == unit.id)
        ).scalar()
        if revoked_at is not None:
            block_years = current_policy().revocation_block_years
            until = add_years(as_utc(revoked_at), block_years)
            if now < until:
                unmet.append(guards.Unmet(
                    "revocation_block",
                    f"Predikat unit dicabut; kasus baru baru dapat dibuka mulai {until.date()}",
                    f"The unit's predicate was revoked; a new case may open from {until.date()}",
                ))
        if unmet:
            raise GuardFailed(unmet)
        case = Case(unit=unit, target=target, year=year, regulation=regulation,
                    state=INITIAL_STATE, created_at=now, updated_at=now)
        pin(case, regulation, rubric)
        db.session.add(case)
        try:
            db.session.flush()
        except IntegrityError as err:
            raise Conflict(f"Unit ini sudah memiliki kasus {target} yang masih berjalan",
                           f"This unit already has an open {target} case",
                           code="case_already_open") from err
        append_event(case, actor, "open_case", None, None, now)
        return case

    return _in_transaction(work)


def put_declaration(actor: User, case_id: int, data: Mapping[str, Any], expected_version: int,
                    now: datetime | None = None) -> Declaration:
    """Record the pencanangan: Pakta Integritas coverage, head's signature, commitment, team."""
    now = now or utcnow()

    def work() -> Declaration:
        case = _locked_case(case_id)
        require_act(actor, case.unit, ("coordinator",))
        _require_state(case, DECLARATION_STATES, "Data pencanangan", "The declaration")
        worksheets.touch(case, expected_version, now)
        if data["pakta_signed"] > data["staff_total"]:
            raise InvalidInput(
                "Penandatangan pakta melebihi jumlah pegawai", "More signatories than staff",
                errors={"pakta_signed": ["melebihi staff_total / exceeds staff_total"]})
        decl = case.declaration or Declaration(case_id=case.id)
        for key in ("staff_total", "pakta_signed", "head_signed", "commitment_statement"):
            setattr(decl, key, data[key])
        decl.team = [name.strip() for name in data["team"] if name.strip()]
        decl.updated_at, decl.updated_by = now, actor.id
        db.session.add(decl)
        append_event(case, actor, "put_declaration", case.state, None, now, score={
            "staff_total": decl.staff_total, "pakta_signed": decl.pakta_signed,
            "head_signed": decl.head_signed, "commitment_statement": decl.commitment_statement,
            "team": decl.team})
        return decl

    return _in_transaction(work)


def put_assessment(actor: User, case_id: int, kind: str, areas: Mapping[str, Decimal],
                   hasil: Mapping[str, Decimal], final: bool, expected_version: int,
                   now: datetime | None = None) -> tuple[Assessment, Evaluation | None]:
    """Enter or replace a summary assessment (area figures only: TPN often reports only
    those); once a decision relied on it, a new one is written. The unit and the TPI answer
    question by question (``put_answers``)."""
    now = now or utcnow()

    def work() -> tuple[Assessment, Evaluation | None]:
        case = _locked_case(case_id)
        require_act(actor, case.unit, (ASSESSOR_ROLE[kind],))
        _require_state(case, ASSESSMENT_STATES[kind], f"Penilaian {kind}", f"The {kind} assessment")
        if kind != "tpn":
            raise InvalidInput(
                "Penilaian ini diisi per pertanyaan pada lembar kerja",
                "This assessment is answered question by question on the worksheet",
                code="worksheet_required",
                errors={"kind": ["ringkasan hanya untuk TPN / summary form is for TPN only"]})
        worksheets.touch(case, expected_version, now)
        rubric = load_rubric(case.regulation)
        missing = missing_fields(case.regulation, areas, hasil)
        errors = {field: [message] for field, message in
                  validate_inputs(rubric, areas, hasil).items() if field not in missing}
        if final:
            errors.update({field: ["wajib untuk penilaian final / required when final"]
                           for field in missing})
        if errors:
            raise InvalidInput("Angka penilaian tidak valid", "Invalid assessment figures",
                               errors=errors)
        evaluation = None if missing else evaluate(rubric, areas, hasil)
        row = latest_assessments(case.id).get(kind)
        if row is None or row.decided_event_id is not None:
            row = Assessment(case_id=case.id, kind=kind, regulation=case.regulation)
            db.session.add(row)
        row.areas = {key: str(value) for key, value in areas.items()}
        row.hasil = {key: str(value) for key, value in hasil.items()}
        row.result = evaluation.as_dict() if evaluation else None
        row.final, row.entered_by, row.entered_at = final, actor.id, now
        db.session.flush()
        append_event(case, actor, f"put_assessment_{kind}", case.state, None, now,
                     score={"assessment_id": row.id, "final": final,
                            "areas": row.areas, "hasil": row.hasil})
        return row, evaluation

    return _in_transaction(work)


def put_proposal(actor: User, case_id: int, data: Mapping[str, Any], expected_version: int,
                 now: datetime | None = None) -> Case:
    """The 90/2021 proposal conditions the inspectorate checks at tpi_approve."""
    now = now or utcnow()

    def work() -> Case:
        case = _locked_case(case_id)
        require_act(actor, case.unit, ("coordinator", "inspectorate"))
        _require_state(case, PROPOSAL_STATES, "Syarat pengusulan", "The proposal conditions")
        worksheets.touch(case, expected_version, now)
        case.proposal = {key: (str(value) if isinstance(value, Decimal) else value)
                         for key, value in data.items()}
        db.session.flush()
        append_event(case, actor, "put_proposal", case.state, None, now, score=case.proposal)
        return case

    return _in_transaction(work)


@dataclass(frozen=True)
class Transitioned:
    """A fired transition: the case as committed (a record; the ORM object for a case
    PortalRB fetched), and what the actor could do next (built in the same transaction, from
    what it already holds)."""

    case: Case | CaseRecord
    available: list[dict[str, Any]]


def fire_transition(actor: User, case_id: int, trigger: str, expected_version: int,
                    reason: str | None = None, now: datetime | None = None
                    ) -> Case | CaseRecord:
    return transition(actor, case_id, trigger, expected_version, reason, now).case


def transition(actor: User, case_id: int, trigger: str, expected_version: int,
               reason: str | None = None, now: datetime | None = None) -> Transitioned:
    now = now or utcnow()

    def work() -> Transitioned:
        spec = SPECS[trigger]
        kinds = _sheets_read(spec, actor.role)
        connection = db.session.connection()
        locked = case_record.lock(connection, _transition_read(spec, kinds), case_id, actor.id)
        if locked is None:
            raise _not_found(case_id)
        case, coordinates = locked.case, locked.coordinates
        require_act(actor, case.unit, actors(spec, case.regulation, case.target),
                    coordinates=coordinates)
        if case.version != expected_version:
            raise StaleVersion(expected_version, case.version)
        read = _Read(standing.from_columns(case, kinds, locked.values),
                     summaries_from(case.id, kinds, locked.values),
                     locked.values.get("last_return"))
        facts = case_facts(case, now, reason, _relied_kinds((spec,)), read.sheets,
                           read.summaries)
        from_state = case.state
        try:
            fire(case, trigger, facts)
        except InvalidTrigger as err:
            raise Conflict(f"{trigger} tidak tersedia pada tahap {from_state}",
                           f"{trigger} is not available in state {from_state}",
                           code="transition_not_available") from err
        except GuardsRefused as err:
            raise GuardFailed(err.unmet) from err
        if trigger == "start_building":
            case.building_since = facts.today
        elif trigger == "designate":
            case.designated_at = now
        elif trigger == "revoke":
            case.revoked_at = now
        relied, score = _decision_record(case, trigger, spec.relies_on, facts, read)
        event_id = transition_writes.write(
            connection, case, actor, trigger, from_state, reason, now, score,
            Notice(TRANSITION_AUDIENCE[trigger], "transition_notice", {
                "case_id": case.id, "unit_id": case.unit_id, "unit_name": case.unit.name,
                "target": case.target, "trigger": trigger, "from_state": from_state,
                "to_state": case.state, "reason": reason, "actor_email": actor.email,
                "occurred_at": now.isoformat(),
                "flagged": [entry["item_id"] for entry in (score or {}).get("flagged", [])],
            }, actor.id))
        if relied is not None:
            relied.decided_event_id = event_id
        answered: Case | CaseRecord = case
        if case.fetched:  # PortalRB's change notice and fetch state read the case's answers
            answered = db.session.get_one(Case, case.id)
            portalrb_feed.note_change(answered, "state", now)
        return Transitioned(answered, available_transitions(
            actor, case, now, coordinates, read.sheets, read.summaries))

    fired = _in_transaction(work, keep=True)
    TRANSITIONS.labels(trigger=trigger).inc()
    return fired


@cache
def _sheets_read(spec: TransitionSpec, role: str) -> tuple[str, ...]:
    """The sheets a transition reads with its case: those its decision relies on and those
    the actor's next steps would (the answer lists them). Who may fire a step differs by
    regulation only for ``revoke``, which relies on no sheet."""
    return _relied_kinds((spec, *(step for step in triggers_from(spec.dest)
                                  if role in step.actors)))


@cache
def _transition_read(spec: TransitionSpec, kinds: tuple[str, ...]) -> Select[Any]:
    """A transition's one read (built once per trigger and set of sheets): the locked case
    with the sheets it reads, whether they have summary rows, and for a submission the
    record of the last return (what the unit changed since goes into the history)."""
    read = case_record.statement().add_columns(
        *standing.kept_columns(case_record.CASE_ID, kinds),
        *summary_columns(case_record.CASE_ID, kinds))
    if spec.relies_on == "self":
        read = read.add_columns(worksheets.last_return(case_record.CASE_ID).label("last_return"))
    return read


@dataclass(frozen=True)
class _Read:
    """What a transition read with its case: the sheets' standings, the summary rows, the
    last return's record (None: none, or not a submission)."""

    sheets: Sheets
    summaries: Summaries
    last_return: dict[str, Any] | None


def _next_specs(actor: User, case: Case | CaseRecord, state: str) -> list[TransitionSpec]:
    """The triggers the actor's role could fire from ``state``."""
    return [spec for spec in triggers_from(state)
            if actor.role in actors(spec, case.regulation, case.target)]


def _relied_kinds(specs: Iterable[TransitionSpec]) -> tuple[str, ...]:
    """The assessments the guards of these transitions read."""
    return tuple(dict.fromkeys(spec.relies_on for spec in specs if spec.relies_on))


def _decision_record(case: CaseRecord, trigger: str, relies_on: str | None, facts: Any,
                     read: _Read) -> tuple[Assessment | None, dict[str, Any] | None]:
    """What the history keeps of a decision: the figures it relied on (a summary row, or the
    worksheet's evaluation and answer revisions); for a return, the flagged questions; for a
    new submission after a return, what the unit changed since."""
    if trigger in worksheets.RETURNS:
        return None, worksheets.return_record(case, trigger)
    if relies_on is None:
        return None, None
    source = facts.assessments.get(relies_on)
    if source is not None and source.source == "worksheet":
        sheet = read.sheets[relies_on]
        assert sheet is not None
        version = version_for_case(case)
        score: dict[str, Any] = {
            "kind": relies_on, "source": "worksheet", "rubric_id": version.id,
            "rubric_sha256": version.sha256, "result": sheet.evaluation.as_dict(),
            "revisions": dict(sheet.revisions)}
        if relies_on == "self":
            score["changed_since_return"] = worksheets.changed_since(
                read.last_return, sheet.revisions)
        return None, score
    relied = read.summaries.get(relies_on)
    return relied, None if relied is None else {
        "assessment_id": relied.id, "kind": relied.kind, "areas": relied.areas,
        "hasil": relied.hasil, "result": relied.result}


def put_answers(actor: User, case_id: int, kind: str, entries: list[dict[str, Any]],
                expected_version: int, now: datetime | None = None) -> Case:
    """Answer one or many questions of a worksheet: one transaction, all or nothing."""
    now = now or utcnow()

    def work() -> Case:
        case = _locked_case(case_id)
        _keep_standing(case, kind, worksheets.put_answers(
            actor, case, kind, entries, expected_version, now))
        db.session.flush()
        portalrb_feed.note_change(case, "answers", now)
        return case

    return _in_transaction(work)


def _keep_standing(case: Case, kind: str, written: worksheets.Written) -> None:
    """After a worksheet write, in its transaction: keep the sheet's standing for decisions."""
    if written.changed:
        evidenced = worksheets.evidenced_items(case.id) if kind == "self" else ()
        standing.keep(case, kind, written.rows, evidenced)


def _evidence_write(actor: User, case_id: int, now: datetime,
                    change: Callable[[Case], Evidence]) -> tuple[Evidence, int]:
    """One evidence write on the locked case: the change (with its audit), then PortalRB's
    change notice, in one transaction; returns the row and the case's new version."""

    def work() -> tuple[Evidence, int]:
        case = _locked_case(case_id)
        require_view(actor, case.unit)
        row = change(case)
        db.session.flush()
        standing.refresh(case, "self")
        portalrb_feed.note_change(case, "answers", now)
        return row, case.version

    return _in_transaction(work)


def add_evidence_file(actor: User, case_id: int, item_id: str, filename: str, data: bytes,
                      description: str, expected_version: int, store: EvidenceStore,
                      max_bytes: int, now: datetime | None = None) -> tuple[Evidence, int]:
    """Attach a file to a question of the unit's worksheet: one transaction with its audit."""
    at = now or utcnow()
    return _evidence_write(actor, case_id, at, lambda case: evidence.add_file(
        actor, case, item_id, filename, data, description, expected_version, store,
        max_bytes, at))


def replace_evidence_file(actor: User, case_id: int, evidence_id: int, filename: str,
                          data: bytes, description: str | None, expected_version: int,
                          store: EvidenceStore, max_bytes: int,
                          now: datetime | None = None) -> tuple[Evidence, int]:
    at = now or utcnow()
    return _evidence_write(actor, case_id, at, lambda case: evidence.replace_file(
        actor, case, evidence_id, filename, data, description, expected_version, store,
        max_bytes, at))


def delete_evidence(actor: User, case_id: int, evidence_id: int, expected_version: int,
                    now: datetime | None = None) -> tuple[Evidence, int]:
    at = now or utcnow()
    return _evidence_write(actor, case_id, at, lambda case: evidence.delete(
        actor, case, evidence_id, expected_version, at))


def evidence_for_download(actor: User, case_id: int, evidence_id: int) -> Evidence:
    """A stored file of the case, for whoever may read the case's worksheets."""
    row = evidence.get(get_case(actor, case_id), evidence_id)
    if row.sha256 is None:
        raise NotFound(f"Bukti dukung {evidence_id} berupa tautan, bukan berkas",
                       f"Evidence {evidence_id} is a link, not a file",
                       code="evidence_is_link")
    return row


def export_excel(actor: User, case_id: int, kind: str) -> bytes:
    """The worksheets as PortalRB's Excel file, for whoever may read the case."""
    return transfer.export(get_case(actor, case_id), kind)


def import_excel(actor: User, case_id: int, kind: str, data: bytes, expected_version: int,
                 now: datetime | None = None) -> tuple[list[str], int]:
    """A filled Excel file into one worksheet: one transaction, all or nothing; returns the
    questions that changed and the case's version after it."""
    now = now or utcnow()

    def work() -> tuple[list[str], int]:
        case = _locked_case(case_id)
        require_view(actor, case.unit)
        written = transfer.import_sheet(actor, case, kind, data, expected_version, now)
        _keep_standing(case, kind, written)
        db.session.flush()
        portalrb_feed.note_change(case, "answers", now)
        return written.changed, case.version

    return _in_transaction(work)


def worksheet(actor: User, case_id: int, kind: str) -> dict[str, Any]:
    return sheets.worksheet(get_case(actor, case_id), kind)


def explain_worksheet(actor: User, case_id: int, kind: str, target: str | None) -> dict[str, Any]:
    return sheets.explanation(get_case(actor, case_id), kind, target)


def answer_revisions(actor: User, case_id: int, kind: str, item_id: str) -> list[Any]:
    return worksheets.revisions(get_case(actor, case_id).id, kind, item_id)


def side_by_side(actor: User, case_id: int) -> dict[str, Any]:
    return sheets.side_by_side(get_case(actor, case_id))


def available_transitions(actor: User, case: Case | CaseRecord, now: datetime | None = None,
                          coordinates: bool | None = None, sheets: Sheets | None = None,
                          summaries: Summaries | None = None) -> list[dict[str, Any]]:
    """The triggers the caller's role could fire from here, each with what is unmet; the
    facts are read once, for just the assessments those triggers rely on (``sheets`` and
    ``summaries``: the worksheets and summary rows this transaction already read)."""
    facts = None
    listed = []
    specs = _next_specs(actor, case, case.state)
    for spec in specs:
        try:
            require_act(actor, case.unit, actors(spec, case.regulation, case.target),
                        coordinates=coordinates)
        except Forbidden as err:
            listed.append({"trigger": spec.trigger, "allowed": False, "requires_reason": False,
                           "unmet": [{"code": err.code, "message": err.message_id,
                                      "message_en": err.message_en}]})
            continue
        facts = facts or case_facts(case, now or utcnow(), "-", _relied_kinds(specs), sheets,
                                    summaries)
        unmet = unmet_conditions(spec, facts)
        listed.append({"trigger": spec.trigger, "allowed": not unmet,
                       "requires_reason": guards.reason_given in spec.guards,
                       "unmet": [u.as_dict() for u in unmet]})
    return listed


def history(actor: User, case_id: int) -> list[AuditEvent]:
    case = get_case(actor, case_id)
    return list(db.session.execute(
        select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
    ).scalars())


def list_cases(actor: User, unit_id: int) -> list[Case]:
    unit = get_unit(actor, unit_id)
    return list(db.session.execute(
        select(Case).where(Case.unit_id == unit.id).order_by(Case.id)).scalars())

