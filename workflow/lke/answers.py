"""Use cases on a case's worksheets: answer questions, flag them, read them side by side.

Three worksheets per case: ``self`` (the unit's coordinator), ``tpi`` (the inspectorate) and
``tpn`` (the national reviewer). Each is editable only in the state where its author works
(``EDITABLE``) and final after it: writing to it then is refused with 409.

Every write is one transaction that locks the case, checks the client's ``expected_version``
(a stale one gets 409 ``stale_version``), bumps the case's version, keeps every revision of
every answer and appends an audit event: a decision is always taken on the figures the
decider last saw.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import (
    ScalarSelect,
    Select,
    String,
    Table,
    and_,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from workflow.audit import append_event
from workflow.case_record import CaseRecord
from workflow.db import db
from workflow.errors import Conflict, InvalidInput, StaleVersion
from workflow.lke.catalog import Version
from workflow.lke.marking import Answer as Entered
from workflow.lke.marking import AnswerError, Marks, mark, normalise
from workflow.lke.versions import version_for_case
from workflow.models import Answer, AnswerRevision, AuditEvent, Case, Evidence, User
from workflow.permissions import require_act
from workflow.portable_sql import written

KINDS = ("self", "tpi", "tpn")
AUTHOR_ROLE = {"self": "coordinator", "tpi": "inspectorate", "tpn": "tpn"}
EDITABLE = {"self": ("pencanangan", "pembangunan"), "tpi": ("pengusulan",),
            "tpn": ("reviu_tpn",)}
REVIEWERS = ("tpi", "tpn")
MAX_NOTE = 4000
RETURNS = ("tpi_return", "tpn_return")
# Written with Core statements (executemany), so a whole sheet costs a fixed few statements.
ANSWER_TABLE: Table = Answer.__table__  # type: ignore[assignment]
EVIDENCE_TABLE: Table = Evidence.__table__  # type: ignore[assignment]
REVISION_TABLE: Table = AnswerRevision.__table__  # type: ignore[assignment]


def require_editable(case: Case, kind: str) -> None:
    if case.state not in EDITABLE[kind]:
        raise Conflict(f"Lembar kerja {kind} tidak dapat diubah pada tahap {case.state}",
                       f"The {kind} worksheet cannot be changed in state {case.state}",
                       code="not_editable_in_state")


def touch(case: Case, expected_version: int, now: datetime) -> None:
    """Check the client saw the latest figures, and make this write bump the version."""
    if case.version != expected_version:
        raise StaleVersion(expected_version, case.version)
    case.updated_at = now


def answers_of(case_id: int, kinds: Iterable[str] = KINDS) -> dict[str, dict[str, Answer]]:
    """kind -> item id -> current answer row, in one query."""
    found: dict[str, dict[str, Answer]] = {kind: {} for kind in kinds}
    for row in db.session.execute(select(Answer).where(
            Answer.case_id == case_id, Answer.kind.in_(list(found)))).scalars():
        found[row.kind][row.item_id] = row
    return found


class AnswerState(Protocol):
    """What marking and the guards read of an answer: an ORM row or a plain result row."""

    @property
    def answer(self) -> str | None: ...
    @property
    def counts(self) -> dict[str, int] | None: ...
    @property
    def needs_revision(self) -> bool: ...
    @property
    def revision(self) -> int: ...


@cache
def _answer_states_statement() -> Select[Any]:
    table = ANSWER_TABLE
    return select(table.c.kind, table.c.item_id, table.c.answer, table.c.counts,
                  table.c.needs_revision, table.c.revision).where(
        table.c.case_id == bindparam("b_case_id"),
        table.c.kind.in_(bindparam("b_kinds", expanding=True)))


def answer_states(case_id: int, kinds: Iterable[str]) -> dict[str, dict[str, AnswerState]]:
    """kind -> item id -> the fields a guard reads, as plain rows (no ORM objects to build:
    a transition's guard reads a whole worksheet, issue 11; the statement built once)."""
    found: dict[str, dict[str, AnswerState]] = {kind: {} for kind in kinds}
    if not found:
        return found
    for row in db.session.execute(_answer_states_statement(),
                                  {"b_case_id": case_id, "b_kinds": list(found)}):
        found[row.kind][row.item_id] = row
    return found


@cache
def _evidenced_statement() -> Select[Any]:
    table = EVIDENCE_TABLE
    return select(table.c.item_id).distinct().where(
        table.c.case_id == bindparam("b_case_id"), table.c.replaced_by.is_(None),
        table.c.deleted_at.is_(None))


def evidenced_items(case_id: int) -> set[str]:
    """The unit's questions that have current evidence (neither replaced nor deleted)."""
    return set(db.session.execute(_evidenced_statement(), {"b_case_id": case_id}).scalars())


def entered(rows: Mapping[str, AnswerState]) -> dict[str, Entered]:
    return {item_id: Entered(row.answer, row.counts) for item_id, row in rows.items()}


def evidence_of(case_id: int) -> dict[str, list[Evidence]]:
    """item id -> the current (neither replaced nor deleted) evidence of the unit."""
    found: dict[str, list[Evidence]] = {}
    for row in db.session.execute(select(Evidence).where(
            Evidence.case_id == case_id, Evidence.replaced_by.is_(None),
            Evidence.deleted_at.is_(None)).order_by(Evidence.id)).scalars():
        found.setdefault(row.item_id, []).append(row)
    return found


@dataclass(frozen=True)
class Completeness:
    """What keeps a worksheet from being decided on (DOMAIN.md: the transition guards)."""

    marks: Marks
    unanswered: tuple[str, ...]
    without_evidence: tuple[str, ...]
    flagged: tuple[str, ...]


def completeness(version: Version, kind: str, rows: Mapping[str, AnswerState],
                 evidenced: Container[str]) -> Completeness:
    """``evidenced``: the item ids with current evidence (only the unit's sheet needs it)."""
    marks = mark(version.rubric, version.worksheet, entered(rows))
    without: tuple[str, ...] = ()
    if kind == "self":
        without = tuple(q.id for q in version.worksheet.questions.values()
                        if q.evidence_required and q.id not in evidenced)
    flagged = tuple(item for item, row in rows.items() if row.needs_revision)
    return Completeness(marks, marks.unanswered, without, flagged)


def _check_entry(version: Version, kind: str, item_id: str, entry: Mapping[str, Any]
                 ) -> tuple[Entered | None, dict[str, str]]:
    question = version.worksheet.questions.get(item_id)
    if question is None:
        return None, {"item_id": "pertanyaan tidak dikenal / unknown question"}
    errors: dict[str, str] = {}
    result = None
    try:
        result = normalise(question, entry.get("answer"), entry.get("counts"))
    except AnswerError as err:
        errors[err.field] = err.message
    note = entry.get("note")
    if note is not None and len(note) > MAX_NOTE:
        errors["note"] = f"paling banyak {MAX_NOTE} karakter / at most {MAX_NOTE} characters"
    links = entry.get("evidence_links") or []
    if links and kind != "self":
        errors["evidence_links"] = "bukti dukung hanya untuk lembar kerja unit / evidence " \
                                   "belongs to the unit's worksheet"
    for link in links:
        parsed = urlsplit(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(link) > 2000:
            errors["evidence_links"] = "harus tautan http(s) / must be an http(s) link"
    if "needs_revision" in entry and kind not in REVIEWERS:
        errors["needs_revision"] = ("hanya TPI atau TPN yang menandai / only the TPI or TPN "
                                    "flags questions")
    return result, errors


@dataclass(frozen=True)
class Current:
    """An answer as a write leaves it (what marking and the guards read)."""

    answer: str | None
    counts: dict[str, int] | None
    needs_revision: bool
    revision: int


@dataclass(frozen=True)
class Written:
    """What a worksheet write changed, and the sheet's answers after it."""

    changed: list[str]
    rows: Mapping[str, AnswerState]


def put_answers(actor: User, case: Case, kind: str, entries: Sequence[Mapping[str, Any]],
                expected_version: int, now: datetime) -> Written:
    """Set many answers at once, all or nothing; returns the item ids that changed and the
    sheet's answers after the write.

    Runs inside the caller's transaction, on a locked case. An entry's ``answer``/``counts``
    replace the current ones when either is given; ``note``, ``needs_revision`` likewise
    change only when given; ``evidence_links`` add link evidence to the unit's questions.
    """
    require_act(actor, case.unit, (AUTHOR_ROLE[kind],))
    require_editable(case, kind)
    touch(case, expected_version, now)
    version = version_for_case(case)
    errors: dict[str, list[str]] = {}
    checked: list[tuple[str, Entered, Mapping[str, Any]]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        item_id = str(entry.get("item_id"))
        result, problems = _check_entry(version, kind, item_id, entry)
        if item_id in seen:
            problems["item_id"] = "dua kali dalam satu permintaan / given twice"
        seen.add(item_id)
        for field, message in problems.items():
            key = item_id if item_id in version.worksheet.questions else index
            errors.setdefault(f"items.{key}.{field}", []).append(message)
        if result is not None and not problems:
            checked.append((item_id, result, entry))
    if errors:
        raise InvalidInput("Jawaban tidak valid", "Invalid answers", errors=errors)
    table = ANSWER_TABLE
    rows = {row.item_id: row for row in db.session.execute(
        select(table.c.id, table.c.item_id, table.c.answer, table.c.counts, table.c.note,
               table.c.needs_revision, table.c.revision)
        .where(table.c.case_id == case.id, table.c.kind == kind))}
    changed: dict[str, int] = {}
    after: dict[str, AnswerState] = dict(rows)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    linked = _add_links(actor, case, checked, now)
    for item_id, result, entry in checked:
        row = rows.get(item_id)
        note = entry.get("note")
        flag = entry.get("needs_revision")
        keeps = "answer" not in entry and "counts" not in entry
        if row is None and keeps and note is None and flag is None:
            continue  # links only: nothing to answer yet
        counts = None if result.counts is None else dict(result.counts)
        old = (None, None, "", False) if row is None else (
            row.answer, row.counts, row.note, row.needs_revision)
        new = (old[0] if keeps else result.answer, old[1] if keeps else counts,
               old[2] if note is None else note, old[3] if flag is None else bool(flag))
        if row is not None and new == old:
            continue
        revision = 1 if row is None else row.revision + 1
        values = {"answer": new[0], "counts": new[1], "note": new[2], "needs_revision": new[3],
                  "revision": revision, "answered_by": actor.id, "answered_at": now}
        changed[item_id] = revision
        after[item_id] = Current(new[0], new[1], new[3], revision)
        if row is None:
            inserts.append({"case_id": case.id, "kind": kind, "item_id": item_id, **values})
        else:
            updates.append({"row_id": row.id, **values})
        revisions.append({"item_id": item_id, **values})
    # A whole sheet in a fixed number of statements (executemany), whatever its size.
    answer_ids = {item_id: row.id for item_id, row in rows.items()}
    if inserts:
        answer_ids.update({item_id: row_id for row_id, item_id in db.session.execute(
            insert(table).returning(table.c.id, table.c.item_id), inserts)})
    if updates:
        db.session.execute(
            update(table).where(table.c.id == bindparam("row_id")).values(
                {key: bindparam(key) for key in updates[0] if key != "row_id"}), updates)
    if revisions:
        db.session.execute(insert(REVISION_TABLE), [
            {"answer_id": answer_ids[entry.pop("item_id")], **entry} for entry in revisions])
    append_event(case, actor, f"put_answers_{kind}", case.state, None, now,
                 score={"kind": kind, "revisions": changed, "evidence_links": linked})
    return Written(sorted(set(changed) | set(linked)), after)


def _add_links(actor: User, case: Case, checked: Sequence[tuple[str, Entered, Mapping[str, Any]]],
               now: datetime) -> dict[str, list[str]]:
    """Evidence given as links; a link the question already has is not added again."""
    wanted = {item_id: list(dict.fromkeys(entry.get("evidence_links") or []))
              for item_id, _, entry in checked if entry.get("evidence_links")}
    if not wanted:
        return {}
    current = evidence_of(case.id)
    added: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for item_id, links in wanted.items():
        have = {row.link for row in current.get(item_id, ())}
        for link in links:
            if link not in have:
                rows.append({"case_id": case.id, "kind": "self", "item_id": item_id,
                             "link": link, "description": "", "uploaded_by": actor.id,
                             "uploaded_at": now})
                added.setdefault(item_id, []).append(link)
    if rows:
        db.session.execute(insert(EVIDENCE_TABLE), rows)  # one executemany
    return added


@cache
def _return_statement() -> Select[Any]:
    """What a return records, built once: the reviewer's flagged questions with their notes
    and every revision of the unit's sheet (not whole answer rows: a return read ~250 ORM
    objects with their counts, a fifth of the CPU of a transition request, issue 11)."""
    table = ANSWER_TABLE
    reviewer = bindparam("b_reviewer", type_=String)
    return (select(table.c.kind, table.c.item_id, table.c.note, table.c.revision)
            .where(table.c.case_id == bindparam("b_case_id"),
                   or_(table.c.kind == "self",
                       and_(table.c.kind == reviewer, table.c.needs_revision.is_(True)))))


def return_record(case: Case | CaseRecord, trigger: str) -> dict[str, Any]:
    """What a return carries into the history and the notice: the flagged questions and the
    unit's answer revisions at that moment, so the next submission can show what changed."""
    reviewer = "tpi" if trigger == "tpi_return" else "tpn"
    flagged: list[dict[str, Any]] = []
    revisions: dict[str, int] = {}
    for row in db.session.execute(_return_statement(),
                                  {"b_case_id": case.id, "b_reviewer": reviewer}):
        if row.kind == "self":
            revisions[row.item_id] = row.revision
        else:
            flagged.append({"item_id": row.item_id, "note": row.note})
    flagged.sort(key=lambda entry: entry["item_id"])  # in Python: no collation's order
    return {"flagged": flagged, "self_revisions": revisions}


def last_return(case_id: ColumnElement[int]) -> ScalarSelect[Any]:
    """The record of the case's last return (its audit event's score). The actions are
    written into the statement: it runs on the driver's cursor, which expands no list."""
    table = AuditEvent.__table__
    return (select(table.c.score).where(table.c.case_id == case_id,
                                        table.c.action.in_([written(a) for a in RETURNS]))
            .order_by(table.c.seq.desc()).limit(1).scalar_subquery())


@cache
def _last_return_score() -> Select[Any]:
    """:func:`last_return` as a statement of its own, built once."""
    return select(last_return(bindparam("b_case_id")))


def changed_since_return(case_id: int, revisions: Mapping[str, int]) -> list[str] | None:
    """The unit's questions whose answers changed since the last return (None: no return);
    ``revisions``: item id -> the revision of its current answer."""
    return changed_since(
        db.session.execute(_last_return_score(), {"b_case_id": case_id}).scalar(), revisions)


def changed_since(returned: Mapping[str, Any] | None, revisions: Mapping[str, int]
                  ) -> list[str] | None:
    """As :func:`changed_since_return`, from the last return's record already read."""
    if not returned:
        return None
    before = returned.get("self_revisions") or {}
    return sorted(item for item, revision in revisions.items()
                  if revision != before.get(item))


def revisions(case_id: int, kind: str, item_id: str) -> list[AnswerRevision]:
    return list(db.session.execute(
        select(AnswerRevision).join(Answer, Answer.id == AnswerRevision.answer_id)
        .where(Answer.case_id == case_id, Answer.kind == kind, Answer.item_id == item_id)
        .order_by(AnswerRevision.revision)).scalars())
