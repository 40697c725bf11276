"""The rules of what a person may type for a case, shared by the API's schemas and the pages.

The API's marshmallow schemas (``api.schemas``) take their bounds and choices from here; the
pages read HTML forms (every value a string) with the ``*_form`` functions, which apply the
same rules and answer ``(data, errors)``: the data as the use cases take it, and for each
field its messages, each ``"Indonesian / English"`` like the use cases' ``InvalidInput``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from workflow.lke.rubric import RUBRIC_IDS
from workflow.lke.scoring import parse_decimal

MAX_INT = 2**31 - 1  # the range of an INTEGER column on PostgreSQL
TARGETS = ("WBK", "WBBM")
YEAR_MIN, YEAR_MAX = 2000, 2100
SAKIP_GRADES = ("AA", "A", "BB", "B", "CC", "C", "D")
BPK_OPINIONS = ("WTP", "WDP", "TW", "TMP")
SPIP_MIN, SPIP_MAX = 1, 5
COMMITMENT_MAX = 20000
TEAM_MAX, TEAM_NAME_MAX = 200, 200
REASON_MAX = 4000
PROPOSAL_FIGURES = ("indeks_rb", "tlhp_percent", "lhkpn_percent", "lhkasn_percent")
PROPOSAL_GRADES = ("sakip_instansi", "sakip_unit")

REQUIRED = "wajib diisi / required"
NOT_A_WHOLE_NUMBER = "bukan bilangan bulat / not a whole number"
NOT_A_DECIMAL = "Bukan angka desimal / not a decimal number"

Errors = dict[str, list[str]]


def between(low: int, high: int) -> str:
    return f"harus antara {low} dan {high} / must be between {low} and {high}"


def one_of(choices: tuple[str, ...]) -> str:
    names = ", ".join(choices)
    return f"harus salah satu dari: {names} / must be one of: {names}"


def too_long(limit: int) -> str:
    return f"paling banyak {limit} karakter / at most {limit} characters"


class _Reader:
    """Reads a form's string values into typed data, collecting every field's error."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.data: dict[str, Any] = {}
        self.errors: Errors = {}

    def text(self, name: str) -> str:
        return (self.form.get(name) or "").strip()

    def _take(self, name: str, parse: Callable[[str], Any]) -> None:
        raw = self.text(name)
        if not raw:
            self.errors[name] = [REQUIRED]
            return
        try:
            self.data[name] = parse(raw)
        except ValueError as err:
            self.errors[name] = [str(err)]

    def integer(self, name: str, low: int, high: int) -> None:
        def parse(raw: str) -> int:
            if not raw.lstrip("-").isdigit():
                raise ValueError(NOT_A_WHOLE_NUMBER)
            value = int(raw)
            if not low <= value <= high:
                raise ValueError(between(low, high))
            return value

        self._take(name, parse)

    def choice(self, name: str, choices: tuple[str, ...]) -> None:
        def parse(raw: str) -> str:
            if raw not in choices:
                raise ValueError(one_of(choices))
            return raw

        self._take(name, parse)

    def figure(self, name: str) -> None:
        def parse(raw: str) -> Decimal:
            try:
                return parse_decimal(raw.replace(",", "."))  # 3,5 as written in Indonesia
            except (ValueError, TypeError) as err:
                raise ValueError(NOT_A_DECIMAL) from err

        self._take(name, parse)


def open_case_form(form: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """Target, year and regulation of a new case (``workflow.cases.open_case``)."""
    read = _Reader(form)
    read.choice("target", TARGETS)
    read.integer("year", YEAR_MIN, YEAR_MAX)
    read.choice("regulation", RUBRIC_IDS)
    return read.data, read.errors


def declaration_form(form: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """The pencanangan (``workflow.cases.put_declaration``): the team one name per line, the
    head's signature a checkbox."""
    read = _Reader(form)
    read.integer("staff_total", 1, MAX_INT)
    read.integer("pakta_signed", 0, MAX_INT)
    read.data["head_signed"] = form.get("head_signed") in ("1", "on", "true", "yes")
    statement = read.text("commitment_statement")
    if len(statement) > COMMITMENT_MAX:
        read.errors["commitment_statement"] = [too_long(COMMITMENT_MAX)]
    read.data["commitment_statement"] = statement
    team = [line.strip() for line in (form.get("team") or "").splitlines() if line.strip()]
    if len(team) > TEAM_MAX:
        read.errors["team"] = [f"paling banyak {TEAM_MAX} nama / at most {TEAM_MAX} names"]
    elif any(len(name) > TEAM_NAME_MAX for name in team):
        read.errors["team"] = [f"nama {too_long(TEAM_NAME_MAX)}"]
    read.data["team"] = team
    if ("staff_total" in read.data and "pakta_signed" in read.data
            and read.data["pakta_signed"] > read.data["staff_total"]):
        read.errors["pakta_signed"] = ["melebihi staff_total / exceeds staff_total"]
    return read.data, read.errors


def proposal_form(form: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """The 90/2021 proposal conditions (``workflow.cases.put_proposal``)."""
    read = _Reader(form)
    read.choice("bpk_opinion", BPK_OPINIONS)
    read.choice("sakip_instansi", SAKIP_GRADES)
    read.figure("indeks_rb")
    read.integer("spip_level", SPIP_MIN, SPIP_MAX)
    for name in ("tlhp_percent", "lhkpn_percent", "lhkasn_percent"):
        read.figure(name)
    read.choice("sakip_unit", SAKIP_GRADES)
    return read.data, read.errors


def version_of(form: Mapping[str, str]) -> int | None:
    """The ``expected_version`` a page posted back, or None when it is not a version."""
    raw = (form.get("expected_version") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_INT:
        return None
    return int(raw)
