"""Rubric versions in the database: load once by id and hash, pin per case.

A built-in version (``workflow.lke.catalog.BUILTIN``) is stored the first time it is asked
for, so a fresh database needs no separate load step; any other version comes in through
``zi rubric load``. An id, once stored, never changes content: a case that pinned it is
scored the same way for ever.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflow.case_record import CaseRecord
from workflow.db import db
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.lke.catalog import BUILTIN, Document, Version, builtin_document, compile_version
from workflow.lke.rubric import RubricDataError, UnknownRubric
from workflow.models import Case, RubricVersion


def _document(row: RubricVersion) -> Document:
    return Document(row.id, row.format, bytes(row.content),
                    None if row.thresholds is None else bytes(row.thresholds),
                    row.regulation, row.title)


def store(document: Document) -> tuple[RubricVersion, bool]:
    """Store a version in the caller's transaction; ``(row, False)`` if it was already there.

    The same id with other content is refused (``rubric_id_taken``): load it under a new id.
    """
    row = db.session.get(RubricVersion, document.id)
    if row is not None:
        if row.content_sha256 != document.sha256:
            raise Conflict(
                f"Versi rubrik {document.id} sudah ada dengan isi lain; muat dengan id baru",
                f"Rubric version {document.id} exists with other content; load it under a "
                "new id", code="rubric_id_taken")
        return row, False
    row = RubricVersion(id=document.id, format=document.format, regulation=document.regulation,
                        title=document.title[:300], content=document.content,
                        thresholds=document.thresholds, content_sha256=document.sha256)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Stored at the same moment by another transaction: take theirs, check it is ours.
        return store(document)
    return row, True


def load(document: Document) -> tuple[RubricVersion, bool]:
    """``zi rubric load``: like :func:`store`, but a built-in id keeps its built-in content
    even before its first use."""
    if document.id in BUILTIN:
        get_row(document.id)
    return store(document)


def get_row(rubric_id: str) -> RubricVersion:
    """The stored version ``rubric_id``, storing a built-in one on first use."""
    row = db.session.get(RubricVersion, rubric_id)
    if row is None and rubric_id in BUILTIN:
        row, _ = store(builtin_document(rubric_id))
    if row is None:
        raise NotFound(f"Versi rubrik {rubric_id} tidak ditemukan",
                       f"Rubric version {rubric_id} not found")
    return row


def get_version(rubric_id: str) -> Version:
    return compile_version(_document(get_row(rubric_id)))


def list_versions() -> list[RubricVersion]:
    for rubric_id in BUILTIN:
        get_row(rubric_id)
    return list(db.session.execute(select(RubricVersion).order_by(RubricVersion.id)).scalars())


# A stored version never changes content, so once compiled it is known by (id, hash) for the
# life of the process: a case that pinned it needs no read of the rubric row (issue 11).
_PINNED: dict[tuple[str, str], Version] = {}
_PINNED_LOCK = threading.Lock()


def version_for_case(case: Case | CaseRecord) -> Version:
    """The version the case pinned when it was opened (older cases pin on first use)."""
    rubric_id = case.rubric_id or case.regulation
    if case.rubric_sha256 is not None:
        known = _PINNED.get((rubric_id, case.rubric_sha256))
        if known is not None:
            return known
    version = get_version(rubric_id)
    with _PINNED_LOCK:
        _PINNED.setdefault((version.id, version.sha256), version)
    if case.rubric_sha256 is None:
        case.rubric_id, case.rubric_sha256 = rubric_id, version.sha256
    elif case.rubric_sha256 != version.sha256:
        raise RubricDataError(f"case {case.id}: rubric {rubric_id} changed under it")
    return version


def pin(case: Case, regulation: str, rubric_id: str | None) -> Version:
    """Choose the version a new case is scored by: the regulation's own, or one built on it."""
    rubric_id = rubric_id or regulation
    try:
        version = get_version(rubric_id)
    except (NotFound, UnknownRubric) as err:
        raise InvalidInput("Versi rubrik tidak dikenal", "Unknown rubric version",
                           errors={"rubric": [f"tidak dikenal / unknown: {rubric_id}"]}) from err
    if version.regulation != regulation:
        raise InvalidInput("Versi rubrik bukan untuk regulasi ini",
                           "The rubric version is for another regulation",
                           errors={"rubric": [f"{rubric_id} menerapkan / implements "
                                              f"{version.regulation}"]})
    case.rubric_id, case.rubric_sha256 = rubric_id, version.sha256
    return version
