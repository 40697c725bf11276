"""Use cases on evidence files (bukti dukung) of the unit's worksheet.

Links come in with the answers (:func:`workflow.lke.answers.put_answers`); files come here.
A file is checked (size, type read from its content), written to the store, then recorded
with its SHA-256, uploader and time, in the caller's transaction with the audit event. The
file is written before the commit: if the transaction fails, the stored bytes are an orphan
that nothing points at, and harmless (the store is addressed by hash).

Evidence is the unit's, so only the coordinator writes it, and only while the unit's
worksheet is editable: the evidence of a worksheet that went on to the TPI cannot be
replaced or deleted. Replacing keeps the old row and file (``replaced_by``); deleting only
marks the row (``deleted_at``, ``deleted_by``). Reading follows the case: whoever may read
the worksheet may download its evidence.
"""

from __future__ import annotations

import re
from datetime import datetime

from workflow.audit import append_event
from workflow.db import db
from workflow.errors import FileTooLarge, InvalidInput, NotFound, UnsupportedFileType
from workflow.lke.answers import AUTHOR_ROLE, require_editable, touch
from workflow.lke.filetypes import FileTypeRefused, detect
from workflow.lke.storage import EvidenceStore
from workflow.lke.versions import version_for_case
from workflow.models import Case, Evidence, User
from workflow.permissions import require_act

MAX_DESCRIPTION = 1000
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_filename(filename: str) -> str:
    """The last path segment, without control characters, at most 255 characters."""
    name = _UNSAFE.sub("", re.split(r"[/\\]", filename or "")[-1]).strip().lstrip(".")
    if not name:
        raise InvalidInput("Nama berkas kosong", "The file has no name",
                           errors={"file": ["nama berkas kosong / empty file name"]})
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:250 - len(extension)] + dot + extension) if dot else name[:255]
    return name


def check_file(data: bytes, filename: str, max_bytes: int) -> str:
    """The detected content type, or a 413/415 naming the limit or the type found."""
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"Berkas lebih besar dari {max_bytes} byte", f"The file exceeds {max_bytes} bytes",
            errors={"file": [f"paling besar / at most {max_bytes} bytes"]})
    if not data:
        raise InvalidInput("Berkas kosong", "The file is empty",
                           errors={"file": ["berkas kosong / empty file"]})
    try:
        return detect(data, filename)
    except FileTypeRefused as refused:
        found = refused.detected or "tidak dikenal / unknown"
        if refused.reason == "name_mismatch":
            message = (f"isi berkas {found}, tidak sesuai nama {filename} / the content is "
                       f"{found}, not what the name {filename} claims")
        else:
            message = f"jenis berkas tidak diterima / type not accepted: {found}"
        raise UnsupportedFileType("Jenis berkas tidak diterima", "File type not accepted",
                                  errors={"file": [message]}) from refused


def _require_writer(actor: User, case: Case, expected_version: int, now: datetime) -> None:
    require_act(actor, case.unit, (AUTHOR_ROLE["self"],))
    require_editable(case, "self")
    touch(case, expected_version, now)


def get(case: Case, evidence_id: int) -> Evidence:
    row = db.session.get(Evidence, evidence_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"Bukti dukung {evidence_id} tidak ditemukan",
                       f"Evidence {evidence_id} not found")
    return row


def add_file(actor: User, case: Case, item_id: str, filename: str, data: bytes,
             description: str, expected_version: int, store: EvidenceStore, max_bytes: int,
             now: datetime, replaces: Evidence | None = None) -> Evidence:
    """Attach a file to a question of the unit's worksheet (on a locked case)."""
    _require_writer(actor, case, expected_version, now)
    if item_id not in version_for_case(case).worksheet.questions:
        raise InvalidInput("Pertanyaan tidak dikenal", "Unknown question",
                           errors={"item_id": [f"tidak dikenal / unknown: {item_id}"]})
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("Keterangan terlalu panjang", "Description too long",
                           errors={"description": [f"paling banyak / at most {MAX_DESCRIPTION}"]})
    name = clean_filename(filename)
    content_type = check_file(data, name, max_bytes)
    sha256 = store.put(data)
    row = Evidence(case_id=case.id, kind="self", item_id=item_id, filename=name,
                   content_type=content_type, size=len(data), sha256=sha256,
                   description=description, uploaded_by=actor.id, uploaded_at=now)
    db.session.add(row)
    db.session.flush()
    if replaces is not None:
        replaces.replaced_by = row.id
    append_event(case, actor, "evidence_replace" if replaces else "evidence_add", case.state,
                 None, now, score={"item_id": item_id, "evidence_id": row.id,
                                   "replaces": replaces.id if replaces else None,
                                   "filename": name, "sha256": sha256, "size": len(data)})
    return row


def replace_file(actor: User, case: Case, evidence_id: int, filename: str, data: bytes,
                 description: str | None, expected_version: int, store: EvidenceStore,
                 max_bytes: int, now: datetime) -> Evidence:
    """A new file in place of a current piece of evidence; the old one is kept."""
    require_act(actor, case.unit, (AUTHOR_ROLE["self"],))
    old = _current(case, evidence_id)
    return add_file(actor, case, old.item_id, filename, data,
                    old.description if description is None else description,
                    expected_version, store, max_bytes, now, replaces=old)


def delete(actor: User, case: Case, evidence_id: int, expected_version: int,
           now: datetime) -> Evidence:
    """Take a piece of evidence (file or link) off its question; the row and file stay."""
    _require_writer(actor, case, expected_version, now)
    row = _current(case, evidence_id)
    row.deleted_at, row.deleted_by = now, actor.id
    append_event(case, actor, "evidence_delete", case.state, None, now,
                 score={"item_id": row.item_id, "evidence_id": row.id})
    return row


def _current(case: Case, evidence_id: int) -> Evidence:
    row = get(case, evidence_id)
    if row.replaced_by is not None or row.deleted_at is not None:
        raise InvalidInput("Bukti dukung ini sudah diganti atau dihapus",
                           "This evidence was already replaced or deleted",
                           code="evidence_not_current",
                           errors={"evidence_id": [f"{evidence_id}"]})
    return row
