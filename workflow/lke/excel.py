"""The worksheet as PortalRB's Excel LKE: write it, and read a filled one back.

Layout (``shared/portalrb/README.md``): a sheet ``Jawaban`` with each PortalRB question on
its ``excel_baris`` row; the unit's answer, note and evidence in K, L, M; the TPI's answer
and note in N and Q; the TPN's in R and S (our own columns, after PortalRB's). A percent item
is several PortalRB questions, one row per count: its counts go in the answer column of
their rows and its note on the first one. Rubric versions without PortalRB rows (52/2014) use
the same columns on rows of our own, one per question (or count) in order from row 6.
Columns A-J describe the row: soal id, item id, count key, area, indicator, text, answer
type, options with their values, the indicator's weight, the exported worksheet's value.

Cells are written as values, never as formulas: a text beginning with ``=`` (or ``+``, ``-``,
``@``) is stored as a string cell. A file read back may hold no formula in the cells read.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import filetype
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet as Sheet

from workflow.lke.catalog import Version
from workflow.lke.worksheet import Question

__all__ = ["COLUMNS", "SHEET", "ExcelRefused", "Parsed", "Row", "layout", "read", "write"]

SHEET = "Jawaban"
SCORES = "Nilai"
FIRST_ROW = 6
FOUR = Decimal("0.0001")
#: kind -> (answer, note, evidence or None)
COLUMNS: dict[str, tuple[str, str, str | None]] = {
    "self": ("K", "L", "M"), "tpi": ("N", "Q", None), "tpn": ("R", "S", None)}
HEADERS = {"A": "soal_id", "B": "item_id", "C": "jumlah (count)", "D": "area",
           "E": "indikator", "F": "pertanyaan", "G": "jenis jawaban", "H": "pilihan (nilai)",
           "I": "bobot indikator", "J": "nilai", "K": "jawaban unit", "L": "catatan unit",
           "M": "bukti dukung unit", "N": "jawaban TPI", "Q": "catatan TPI",
           "R": "jawaban TPN", "S": "catatan TPN"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UNZIPPED = 50 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One row of ``Jawaban``: a question, or one count of a percent question."""

    number: int
    question: Question
    count_key: str | None = None
    first: bool = True  # the question's first row: where its note is


@dataclass
class Parsed:
    """What a file says of one question, in one kind's columns, with the cells it came from."""

    answer: object = None
    counts: dict[str, object] | None = None
    note: str = ""
    links: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # evidence lines that are not links
    cells: dict[str, str] = field(default_factory=dict)  # field -> cell reference
    unread: bool = False  # a cell of it could not be read (its error is reported)


class ExcelRefused(ValueError):
    """The file cannot be read; ``errors`` maps a cell reference (or the file) to messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in errors.items()))
        self.errors = {key: list(value) for key, value in errors.items()}


def layout(version: Version) -> list[Row]:
    """Every row of the sheet, in order: PortalRB's rows where the version has them all."""
    questions = list(version.worksheet.questions.values())
    portalrb = all((q.excel_row if not q.counts else all(c.excel_row for c in q.counts))
                   for q in questions)
    rows: list[Row] = []
    number = FIRST_ROW
    for question in questions:
        parts: list[tuple[str | None, int | None]] = (
            [(c.key, c.excel_row) for c in question.counts] if question.counts
            else [(None, question.excel_row)])
        for index, (key, excel_row) in enumerate(parts):
            rows.append(Row(excel_row if portalrb and excel_row else number, question, key,
                            index == 0))
            number += 1
    return sorted(rows, key=lambda row: row.number)


def _text(cell: Cell, value: object) -> None:
    """A value, never a formula: openpyxl reads a string starting with '=' as one."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def write(version: Version, title: str, answers: Mapping[str, Mapping[str, Any]],
          evidence: Mapping[str, Sequence[str]], values: Mapping[str, str | None],
          evaluation: Mapping[str, Any], info: Sequence[tuple[str, object]]) -> bytes:
    """The workbook. ``answers``: kind -> item id -> {answer, counts, note};
    ``evidence``: item id -> lines (links, file names); ``values``: item id -> the exported
    worksheet's value; ``evaluation``: its ``Evaluation.as_dict()``; ``info``: header lines."""
    book = Workbook()
    sheet: Sheet = book.active
    sheet.title = SHEET
    _text(sheet["A1"], title)
    sheet["A1"].font = Font(bold=True, size=13)
    _text(sheet["A2"], f"Rubrik {version.id} (sha256 {version.sha256[:16]})")
    for column, header in HEADERS.items():
        _text(sheet[f"{column}4"], header)
        sheet[f"{column}4"].font = Font(bold=True)
        _text(sheet[f"{column}5"], column)
    widths = {"A": 8, "B": 44, "C": 20, "D": 22, "E": 26, "F": 70, "G": 12, "H": 24, "I": 9,
              "J": 9, "K": 12, "L": 40, "M": 40, "N": 12, "Q": 40, "R": 12, "S": 40}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    indicator_weight = {i.path: i.weight for i in version.worksheet.indicators}
    for row in layout(version):
        q, n = row.question, row.number
        count = next((c for c in q.counts if c.key == row.count_key), None)
        soal = count.soal_id if count else q.soal_id
        sheet[f"A{n}"] = soal
        _text(sheet[f"B{n}"], q.id)
        if row.count_key:
            _text(sheet[f"C{n}"], row.count_key)
        _text(sheet[f"D{n}"], q.area)
        _text(sheet[f"E{n}"], q.indicator)
        _text(sheet[f"F{n}"], count.label if count else q.text)
        sheet[f"F{n}"].alignment = Alignment(wrap_text=True, vertical="top")
        _text(sheet[f"G{n}"], q.answer_type)
        _text(sheet[f"H{n}"], "; ".join(f"{k}={v}" for k, v in q.options.items()))
        sheet[f"I{n}"] = indicator_weight[f"{q.aspect}.{q.area}.{q.indicator}"]
        if row.first and values.get(q.id) is not None:
            sheet[f"J{n}"] = Decimal(str(values[q.id]))
        for kind, (answer_col, note_col, _) in COLUMNS.items():
            given = answers.get(kind, {}).get(q.id)
            if given is None:
                continue
            if row.count_key:
                value = (given.get("counts") or {}).get(row.count_key)
                sheet[f"{answer_col}{n}"] = value
            elif given.get("answer") is not None:
                answer = given["answer"]
                if q.answer_type == "survey_index":
                    sheet[f"{answer_col}{n}"] = Decimal(answer)
                else:
                    _text(sheet[f"{answer_col}{n}"], answer)
            if row.first and given.get("note"):
                _text(sheet[f"{note_col}{n}"], given["note"])
        if row.first and evidence.get(q.id):
            _text(sheet[f"M{n}"], "\n".join(evidence[q.id]))
    sheet.freeze_panes = "G6"
    _scores(book.create_sheet(SCORES), evaluation, info)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _scores(sheet: Sheet, evaluation: Mapping[str, Any], info: Sequence[tuple[str, object]]
            ) -> None:
    lines: list[tuple[str, object]] = list(info) + [("", "")]
    lines += [(f"area {key}", value) for key, value in evaluation["areas"].items()]
    lines.append(("pengungkit", evaluation["pengungkit"]))
    lines += [(f"hasil {key}", value) for key, value in evaluation["hasil"].items()]
    lines += [(f"komponen {key}", value) for key, value in evaluation["components"].items()]
    lines.append(("total", evaluation["total"]))
    for predicate, result in evaluation["predicates"].items():
        lines.append((f"{predicate} memenuhi / eligible", "ya" if result["eligible"] else
                      "tidak"))
        for unmet in result["unmet"]:
            detail = unmet.get("value"), unmet.get("minimum")
            lines.append((f"{predicate} belum: {unmet['code']}",
                          f"{detail[0]} < {detail[1]}" if detail[1] is not None
                          else unmet.get("message", "")))
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 30
    for index, (label, value) in enumerate(lines, start=1):
        _text(sheet[f"A{index}"], label)
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            sheet[f"B{index}"] = value
        elif isinstance(value, str) and value.replace(".", "", 1).isdigit():
            sheet[f"B{index}"] = Decimal(value)
        else:
            _text(sheet[f"B{index}"], "" if value is None else str(value))


def _open(data: bytes) -> Sheet:
    if not data.startswith(b"PK\x03\x04"):  # an .xlsx is a zip; openpyxl checks the rest
        found = filetype.guess_mime(data) or "tidak dikenal / unknown"
        raise ExcelRefused({"file": [f"bukan berkas .xlsx / not an .xlsx file: {found}"]})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise ExcelRefused({"file": ["isi terlalu besar / content too large"]})
        book = load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except ExcelRefused:
        raise
    except Exception as err:  # openpyxl raises many kinds on a damaged file
        raise ExcelRefused({"file": ["bukan .xlsx atau rusak / not an .xlsx, or damaged: "
                                     f"{type(err).__name__}"]}) from err
    if SHEET not in book.sheetnames:
        raise ExcelRefused({SHEET: [f"lembar {SHEET} tidak ada / no sheet named {SHEET}"]})
    return book[SHEET]


def read(data: bytes, version: Version, kind: str
         ) -> tuple[dict[str, Parsed], dict[str, list[str]]]:
    """One kind's columns of a filled file: item id -> what it says, and the problems of its
    cells, each named by its cell (``Jawaban!K12``) and question. A file that is no workbook
    of ours (not .xlsx, damaged, no ``Jawaban``) raises :class:`ExcelRefused`."""
    sheet = _open(data)
    answer_col, note_col, evidence_col = COLUMNS[kind]
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Parsed] = {}

    def refuse(ref: str, question: Question, message: str) -> None:
        errors.setdefault(f"{SHEET}!{ref}", []).append(f"{question.id}: {message}")
        parsed[question.id].unread = True

    for row in layout(version):
        q, n = row.question, row.number
        item = parsed.setdefault(q.id, Parsed())
        placed = sheet[f"B{n}"].value
        if isinstance(placed, str) and placed in version.worksheet.questions and placed != q.id:
            refuse(f"B{n}", q, f"baris ini untuk / this row is for {q.id}")
            continue
        columns = [answer_col] + ([note_col, evidence_col] if row.first else [])
        cells = {col: sheet[f"{col}{n}"] for col in columns if col}
        for col, cell in cells.items():
            if cell.data_type == "f":
                refuse(f"{col}{n}", q, "rumus tidak diterima / formulas are not accepted")
        if any(cell.data_type == "f" for cell in cells.values()):
            continue
        value = cells[answer_col].value
        if isinstance(value, str):
            value = value.strip() or None
        if row.count_key:
            item.cells[f"counts.{row.count_key}"] = f"{SHEET}!{answer_col}{n}"
            item.cells.setdefault("counts", f"{SHEET}!{answer_col}{n}")
            if value is not None and (isinstance(value, str | bool) or not isinstance(
                    value, int | float) or value != int(value)):
                refuse(f"{answer_col}{n}", q, "harus bilangan bulat / must be a whole number")
                continue
            if value is not None:
                item.counts = {**(item.counts or {}), row.count_key: int(value)}
        else:
            item.cells["answer"] = f"{SHEET}!{answer_col}{n}"
            if isinstance(value, float | int) and not isinstance(value, bool):
                value = Decimal(str(value))
            elif isinstance(value, str) and q.options:  # "ya" for "Ya", "b" for "B"
                value = next((key for key in q.options if key.lower() == value.lower()), value)
            item.answer = value
        if row.first:
            item.cells["note"] = f"{SHEET}!{note_col}{n}"
            note = cells[note_col].value
            item.note = "" if note is None else str(note)
            if evidence_col:
                item.cells["evidence_links"] = f"{SHEET}!{evidence_col}{n}"
                lines = str(cells[evidence_col].value or "").splitlines()
                for line in (line.strip() for line in lines):
                    if line.startswith(("http://", "https://")):
                        item.links.append(line)
                    elif line:
                        item.names.append(line)
    return parsed, errors
