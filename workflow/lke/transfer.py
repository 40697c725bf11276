"""Use cases of the Excel worksheet: export a case's worksheets, import one kind's columns.

An import is a write like any other: it goes through :func:`workflow.lke.answers.put_answers`
(the same validation, revisions and audit event, all or nothing), but only with the
questions whose answer, note or evidence links differ from what is stored, so an unchanged
round trip writes nothing at all. Errors are reported by cell (``Jawaban!K12``) and question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from workflow.errors import InvalidInput, StaleVersion
from workflow.lke import excel
from workflow.lke.answers import (
    AUTHOR_ROLE,
    MAX_NOTE,
    Written,
    answers_of,
    completeness,
    entered,
    evidence_of,
    put_answers,
    require_editable,
)
from workflow.lke.marking import AnswerError, normalise, value_of
from workflow.lke.versions import version_for_case
from workflow.models import Case, User
from workflow.permissions import require_act


def export(case: Case, kind: str) -> bytes:
    """The case's three worksheets in PortalRB's layout; the scores are those of ``kind``."""
    version = version_for_case(case)
    rows = answers_of(case.id)
    evidence = evidence_of(case.id)
    answers = {k: {item: {"answer": r.answer, "counts": r.counts, "note": r.note}
                   for item, r in rows[k].items()} for k in rows}
    lines = {item: [e.link or e.filename or "" for e in found]
             for item, found in evidence.items()}
    given = entered(rows[kind])
    values = {}
    for question in version.worksheet.questions.values():
        value = value_of(question, given[question.id]) if question.id in given else None
        values[question.id] = None if value is None else f"{value.quantize(excel.FOUR)}"
    evaluation = completeness(version, kind, rows[kind], evidence).marks.evaluation.as_dict()
    info = [("kasus / case", case.id), ("unit", case.unit.name), ("target", case.target),
            ("tahun / year", case.year), ("lembar kerja / worksheet", kind),
            ("rubrik / rubric", version.id), ("versi kasus / case version", case.version)]
    title = f"LKE {case.unit.name} {case.year} ({case.target}): lembar kerja {kind}"
    return excel.write(version, title, answers, lines, values, evaluation, info)


def import_sheet(actor: User, case: Case, kind: str, data: bytes, expected_version: int,
                 now: datetime) -> Written:
    """Read ``kind``'s columns of a filled file into its worksheet (on a locked case);
    returns what changed (nothing: the file holds what is stored)."""
    require_act(actor, case.unit, (AUTHOR_ROLE[kind],))
    require_editable(case, kind)
    if case.version != expected_version:
        raise StaleVersion(expected_version, case.version)
    version = version_for_case(case)
    try:
        parsed, errors = excel.read(data, version, kind)
    except excel.ExcelRefused as refused:
        raise InvalidInput("Berkas Excel tidak dapat diterima", "The Excel file was refused",
                           code="excel_invalid", errors=refused.errors) from refused
    stored = answers_of(case.id, (kind,))[kind]
    evidence = evidence_of(case.id) if kind == "self" else {}
    entries: list[dict[str, Any]] = []
    cells: dict[str, dict[str, str]] = {}
    for item_id, found in parsed.items():
        if found.unread:
            continue
        question = version.worksheet.questions[item_id]
        row = stored.get(item_id)
        entry: dict[str, Any] = {"item_id": item_id, "note": found.note}
        if question.counts:
            entry["counts"] = found.counts
        else:
            entry["answer"] = found.answer
        differs = found.note != (row.note if row else "")
        if len(found.note) > MAX_NOTE:
            errors.setdefault(found.cells["note"], []).append(
                f"{item_id}: paling banyak {MAX_NOTE} karakter / at most {MAX_NOTE} characters")
        try:
            given = normalise(question, entry.get("answer"), entry.get("counts"))
            differs = differs or (given.answer, given.counts) != (
                (row.answer, row.counts) if row else (None, None))
        except AnswerError as wrong:
            where = found.cells.get(wrong.field) or found.cells.get(wrong.field.split(".")[0])
            errors.setdefault(where or f"{excel.SHEET}", []).append(
                f"{item_id}: {wrong.message}")
        known = evidence.get(item_id, [])
        new_links = [link for link in found.links if link not in {e.link for e in known}]
        for name in found.names:
            if name not in {e.filename for e in known}:
                errors.setdefault(found.cells["evidence_links"], []).append(
                    f"{item_id}: bukan tautan http(s) dan bukan berkas yang diunggah / neither "
                    f"an http(s) link nor an uploaded file: {name[:80]}")
        if new_links:
            entry["evidence_links"] = new_links
        if differs or new_links:
            entries.append(entry)
            cells[item_id] = found.cells
    if errors:
        raise InvalidInput("Berkas Excel tidak dapat diterima", "The Excel file was refused",
                           code="excel_invalid", errors=errors)
    if not entries:
        return Written([], {})
    try:
        return put_answers(actor, case, kind, entries, expected_version, now)
    except InvalidInput as refused:
        raise InvalidInput(refused.message_id, refused.message_en, code="excel_invalid",
                           errors=_by_cell(refused.errors or {}, cells)) from refused


def _by_cell(errors: Mapping[str, Sequence[str]], cells: dict[str, dict[str, str]]
             ) -> dict[str, list[str]]:
    """``items.<id>.<field>`` (put_answers' keys) -> the cell the field was read from."""
    found: dict[str, list[str]] = {}
    for key, messages in errors.items():
        item_id = next((item for item in sorted(cells, key=len, reverse=True)
                        if key.startswith(f"items.{item}.")), "")
        field = key[len(f"items.{item_id}."):] if item_id else key
        where = cells.get(item_id, {})
        ref = where.get(field) or where.get(field.split(".")[0]) or key
        found.setdefault(ref, []).extend(f"{item_id}: {message}" for message in messages)
    return found
