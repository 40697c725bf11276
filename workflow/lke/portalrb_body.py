"""What PortalRB receives, in its own terms (``shared/portalrb/README.md``).

A proposed unit becomes ``{"id", "nama", "kategori", "afirmasi"}``; a worksheet becomes one
entry per PortalRB question (``soal_id``): the unit's answer, note and evidence, the TPI's
answer and note. A question answered with counts gives one entry per count (PortalRB makes
each count a question of its own), each carrying the item's note and evidence.

Values are strings, as the contract types them: option keys as PortalRB writes them
(``Ya``/``Tidak``, ``A``…``E``: our keys already), counts as whole numbers (``"12"``), survey
indexes as decimals (``"3.25"``). Several pieces of evidence are joined with ``;``, as the
contract's reference implementation does. A missing answer, an empty note: ``null``.

:func:`encode` fixes the bytes, so the hash of what was served can be recomputed.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.lke.worksheet import Worksheet

__all__ = ["EVIDENCE_SEPARATOR", "Given", "ProposedUnit", "answer_entries", "encode",
           "jawaban_body", "kategori", "missing_soal", "sha256", "unit_list"]

EVIDENCE_SEPARATOR = ";"


@dataclass(frozen=True)
class Given:
    """One worksheet answer as entered: an option key or index, or counts; and a note."""

    answer: str | None = None
    counts: Mapping[str, int] | None = None
    note: str = ""


@dataclass(frozen=True)
class ProposedUnit:
    id: str
    nama: str
    target: str
    afirmasi: bool

    def as_entry(self) -> dict[str, Any]:
        return {"id": self.id, "nama": self.nama,
                "kategori": kategori(self.target, self.afirmasi), "afirmasi": self.afirmasi}


def kategori(target: str, afirmasi: bool) -> str:
    """PortalRB's category: ``WBK``, ``WBK-AFIRMASI`` (an affirmative-action unit) or ``WBBM``."""
    if target == "WBK":
        return "WBK-AFIRMASI" if afirmasi else "WBK"
    return target


def unit_list(tahun: int, units: Iterable[ProposedUnit]) -> dict[str, Any]:
    return {"tahun": tahun, "units": [unit.as_entry() for unit in units]}


def _text(value: str | None) -> str | None:
    return value if value else None


def _value(given: Given | None, count_key: str | None) -> str | None:
    if given is None:
        return None
    if count_key is None:
        return given.answer
    if given.counts is None or count_key not in given.counts:
        return None
    return str(int(given.counts[count_key]))


def answer_entries(worksheet: Worksheet, unit: Mapping[str, Given], tpi: Mapping[str, Given],
                   evidence: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    """Every PortalRB question of the worksheet, ordered by ``soal_id``.

    ``unit``/``tpi``: item id -> answer; ``evidence``: item id -> the unit's evidence as
    links (or descriptions), in the order given.
    """
    entries = []
    for question in worksheet.questions.values():
        places: list[tuple[int, str | None]]
        if question.counts:
            places = [(c.soal_id, c.key) for c in question.counts if c.soal_id is not None]
        elif question.soal_id is not None:
            places = [(question.soal_id, None)]
        else:
            places = []
        mine, theirs = unit.get(question.id), tpi.get(question.id)
        links = EVIDENCE_SEPARATOR.join(evidence.get(question.id, ()))
        for soal_id, count_key in places:
            entries.append({
                "soal_id": soal_id,
                "jawaban_unit": _value(mine, count_key),
                "jawaban_tpi": _value(theirs, count_key),
                "catatan_unit": _text(mine.note if mine else None),
                "bukti_dukung_unit": _text(links),
                "catatan_tpi": _text(theirs.note if theirs else None),
            })
    return sorted(entries, key=lambda entry: entry["soal_id"])


def missing_soal(worksheet: Worksheet, master_ids: Iterable[int]) -> list[int]:
    """The master list's questions a worksheet has no place for (a rubric PortalRB can't read)."""
    have = {soal for question in worksheet.questions.values() for soal in question.soal_ids}
    return sorted(set(master_ids) - have)


def jawaban_body(unit_id: str, nama_unit: str, tahun: int,
                 answers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"unit_id": unit_id, "nama_unit": nama_unit, "tahun": tahun, "answers": answers}


def encode(body: Any) -> bytes:
    """The exact bytes served: UTF-8 JSON, keys in the contract's order, no padding."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
