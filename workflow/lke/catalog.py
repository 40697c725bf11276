"""Rubric versions as documents: what ``zi rubric load`` stores and what a case pins.

A version is one document (our YAML tree, or PortalRB's master list as JSON) plus, where the
document carries none, the thresholds of its regulation. Its identity is ``(id, sha256)``:
the same content under the same id is the same version; other content needs a new id.
Compiling a document gives the summary-form :class:`~workflow.lke.rubric.Rubric` (areas,
thresholds) and the question-by-question :class:`~workflow.lke.worksheet.Worksheet`.

Built-in versions ship with the package: ``permenpanrb-52-2014`` and ``permenpanrb-90-2021``
(verbatim copies of ``shared/lke``) and ``lke-portalrb-2026`` (PortalRB's master list).

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from workflow.lke import portalrb
from workflow.lke.rubric import Rubric, RubricDataError, UnknownRubric, build_rubric
from workflow.lke.worksheet import Worksheet, build_worksheet, overlay

__all__ = ["BUILTIN", "REGULATIONS", "Document", "Version", "builtin_document", "compile_version",
           "parse_document"]

REGULATIONS = ("permenpanrb-52-2014", "permenpanrb-90-2021")
PORTALRB_BASE = "permenpanrb-90-2021"
FORMATS = ("yaml", "portalrb-master")

# id -> (format, document file, thresholds file or None)
BUILTIN: dict[str, tuple[str, str, str | None]] = {
    "permenpanrb-52-2014": ("yaml", "permenpanrb-52-2014.yaml", None),
    "permenpanrb-90-2021": ("yaml", "permenpanrb-90-2021.yaml",
                            "thresholds-permenpanrb-90-2021.yaml"),
    "lke-portalrb-2026": ("portalrb-master", "master-soal-lkezi-2026.json",
                          "thresholds-permenpanrb-90-2021.yaml"),
}


@dataclass(frozen=True)
class Document:
    """A rubric version as stored: its id, format, bytes and the regulation it implements."""

    id: str
    format: str
    content: bytes
    thresholds: bytes | None
    regulation: str
    title: str

    @property
    def sha256(self) -> str:
        """The version's content hash: the document and its thresholds together."""
        digest = hashlib.sha256(self.content)
        digest.update(b"\0" + (self.thresholds or b""))
        return digest.hexdigest()


@dataclass(frozen=True)
class Version:
    """A compiled version: both views of the same document."""

    id: str
    sha256: str
    regulation: str
    rubric: Rubric
    worksheet: Worksheet


def _data(name: str) -> bytes:
    return (resources.files("workflow.lke") / "data" / name).read_bytes()


def builtin_document(rubric_id: str) -> Document:
    if rubric_id not in BUILTIN:
        raise UnknownRubric(rubric_id)
    fmt, name, thresholds = BUILTIN[rubric_id]
    return parse_document(_data(name), rubric_id=rubric_id,
                          thresholds=_data(thresholds) if thresholds else None)


def parse_document(raw: bytes, rubric_id: str | None = None,
                   thresholds: bytes | None = None) -> Document:
    """Read either format, telling them apart by content; check that it compiles."""
    tree, fmt = _tree(raw)
    meta = tree.get("meta") or {}
    if fmt == "portalrb-master":
        regulation = "permenpanrb-90-2021"
        rubric_id = rubric_id or f"lke-portalrb-{meta.get('tahun')}"
        if thresholds is None:
            thresholds = _data("thresholds-permenpanrb-90-2021.yaml")
    else:
        regulation = str(meta.get("base") or meta.get("id") or "")
        rubric_id = rubric_id or str(meta.get("id") or "")
        if regulation not in REGULATIONS:
            raise RubricDataError(
                f"meta.id (or meta.base) must name a regulation: {', '.join(REGULATIONS)}")
        if thresholds is None and not meta.get("thresholds"):
            name = f"thresholds-{regulation}.yaml"
            if (resources.files("workflow.lke") / "data" / name).is_file():
                thresholds = _data(name)
    if not rubric_id or len(rubric_id) > 60 or not all(
            c.isalnum() or c in "-_." for c in rubric_id):
        raise RubricDataError(f"rubric id {rubric_id!r}: letters, digits, - _ . (max 60)")
    document = Document(rubric_id, fmt, raw, thresholds, regulation, str(meta.get("title") or ""))
    compile_version(document)
    return document


def _tree(raw: bytes) -> tuple[dict[str, Any], str]:
    text = raw.lstrip()
    if text.startswith(b"{"):
        try:
            master = json.loads(raw)
        except ValueError as err:
            raise RubricDataError(f"not valid JSON: {err}") from err
        if not isinstance(master, dict) or "data" not in master:
            raise RubricDataError("a JSON rubric must be PortalRB's master list (with 'data')")
        return portalrb.master_to_tree(master, portalrb.load_mapping()), "portalrb-master"
    try:
        tree = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise RubricDataError(f"not valid YAML: {err}") from err
    if not isinstance(tree, dict):
        raise RubricDataError("a rubric file must be a mapping")
    return tree, "yaml"


def compile_version(document: Document) -> Version:
    """Both views of a document (cached by content hash)."""
    return _compile(document.id, document.sha256, document.format, document.regulation,
                    document.content, document.thresholds)


@functools.lru_cache(maxsize=32)
def _compile(rubric_id: str, sha256: str, fmt: str, regulation: str, content: bytes,
             thresholds: bytes | None) -> Version:
    tree, _ = _tree(content)
    rubric = build_rubric(rubric_id, content, thresholds, base=regulation, tree=tree)
    worksheet = build_worksheet(rubric_id, tree, _extra(regulation, fmt))
    if worksheet.rubric_id and len(worksheet.questions) != rubric.item_count:
        raise RubricDataError("worksheet and rubric disagree on the number of items")
    return Version(rubric_id, sha256, regulation, rubric, worksheet)


def _extra(regulation: str, fmt: str) -> dict[str, dict[str, Any]]:
    """Our additions to a verbatim regulation file: inferred inputs (``data/overlay-<id>.yaml``)
    and, for 90/2021, PortalRB's question ids, Excel rows and count rules from our mapping.
    PortalRB's own master list carries them already."""
    if fmt == "portalrb-master":
        return {}
    extra: dict[str, dict[str, Any]] = {
        item_id: dict(fields)
        for item_id, fields in (overlay(regulation).get("items") or {}).items()}
    if regulation == PORTALRB_BASE:
        for item_id, fields in _portalrb_fields().items():
            extra.setdefault(item_id, {}).update(fields)
    return extra


@functools.cache
def _portalrb_fields() -> dict[str, dict[str, Any]]:
    mapping = portalrb.load_mapping()
    soal = portalrb.soal_index(portalrb.load_master())
    fields: dict[str, dict[str, Any]] = {
        item_id: {"soal_id": soal_id, "excel_row": soal[soal_id]["excel_baris"]}
        for item_id, soal_id in mapping.items.items()}
    for item_id, rule in mapping.percent.items():
        fields[item_id] = {
            "inputs": [{"key": key, "label": soal[soal_id]["teks_pertanyaan"],
                        "soal_id": soal_id, "excel_row": soal[soal_id]["excel_baris"]}
                       for key, soal_id in rule.counts.items()],
            "formula": {"numerator": list(rule.numerator),
                        "numerator_minus": list(rule.numerator_minus),
                        "denominator": list(rule.denominator), "cap": rule.cap,
                        "if_denominator_zero": rule.if_denominator_zero}}
    return fields
