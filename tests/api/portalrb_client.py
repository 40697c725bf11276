"""PortalRB, as ``shared/portalrb/README.md`` describes it, written from that page alone.

It pulls an instansi's proposed units (``/pengusulan/unit-wbk``, ``/pengusulan/unit-wbbm``)
and each unit's answers (``/lke/jawaban-unit/{unit_id}``) over HTTP with the instansi's
token, retries the way the guide says (after a timeout, a 5xx or a refused connection: at
once, then 60 s later, then 120 s later; the unit is marked failed when those fail too), and
checks every answer against its own master list of questions: each ``soal_id`` known, each
value valid for the question's ``jenis_jawaban``, no question missing. It knows nothing of
the service's code; the master list is read as plain JSON.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

RETRY_DELAYS = (0, 60, 120)
OPTION_TYPES = ("YA_TIDAK", "ABC", "ABCD", "ABCDE")
COUNT_TYPES = ("Jumlah", "jumlah")
INDEX_TYPES = ("0-4",)
OPTIONAL = ("jawaban_tpi", "catatan_unit", "bukti_dukung_unit", "catatan_tpi")
MASTER = Path(__file__).resolve().parents[2] / "workflow/lke/data/master-soal-lkezi-2026.json"


class Unreachable(Exception):
    """The instansi's system failed every retry (PortalRB marks the unit failed)."""


def master_soal(path: Path = MASTER) -> dict[int, dict[str, Any]]:
    """soal id -> soal, walking the master list's tree (``data`` -> ``children``/``soals``)."""
    found: dict[int, dict[str, Any]] = {}

    def walk(node: dict[str, Any]) -> None:
        for soal in node.get("soals", []):
            found[soal["id"]] = soal
        for child in node.get("children", []):
            walk(child)

    master = json.loads(path.read_text(encoding="utf-8"))
    for top in master["data"]:
        walk(top)
    assert len(found) == master["total_soal"] == 127
    return found


@dataclass
class Sync:
    """What one pull brought: the units of both lists, each unit's answers, and the problems
    found in them (an empty ``problems`` is a clean pull)."""

    tahun: int | None = None
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class PortalRB:
    def __init__(self, base_url: str, token: str, sleep: Callable[[float], None],
                 timeout: float = 30) -> None:
        self.base_url, self.token, self.sleep, self.timeout = (
            base_url.rstrip("/"), token, sleep, timeout)
        self.soal = master_soal()
        self.waits: list[float] = []

    # -- HTTP, with the guide's retry rhythm
    def get(self, path: str) -> tuple[int, Any]:
        """GET once plus up to three retries; a 2xx or a 4xx ends it."""
        for attempt in range(len(RETRY_DELAYS) + 1):
            if attempt:
                delay = RETRY_DELAYS[attempt - 1]
                self.waits.append(delay)
                self.sleep(delay)
            request = urllib.request.Request(self.base_url + path, headers={
                "Authorization": f"Bearer {self.token}", "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as err:
                if err.code >= 500:
                    continue
                return err.code, json.loads(err.read())
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                continue
        raise Unreachable(path)

    # -- the pull
    def pull(self, wbbm_eligible: bool = True) -> Sync:
        sync = Sync()
        lists = ["/pengusulan/unit-wbk"] + (["/pengusulan/unit-wbbm"] if wbbm_eligible else [])
        for path in lists:
            status, body = self.get(path)
            if status != 200:
                sync.problems.append(f"{path}: {status} {body}")
                continue
            self.check_list(path, body, sync)
        for unit_id in sync.units:
            self.refetch(unit_id, sync)
        return sync

    def refetch(self, unit_id: str, sync: Sync) -> None:
        """One unit's answers (also PortalRB's "Refetch" button)."""
        path = f"/lke/jawaban-unit/{unit_id}"
        try:
            status, body = self.get(path)
        except Unreachable:
            sync.failed.append(unit_id)
            return
        if unit_id in sync.failed:
            sync.failed.remove(unit_id)
        if status != 200:
            sync.problems.append(f"{path}: {status} {body}")
            return
        self.check_answers(unit_id, body, sync)
        sync.answers[unit_id] = body

    # -- the README's contract
    def check_list(self, path: str, body: Any, sync: Sync) -> None:
        kategori = ("WBBM",) if path.endswith("wbbm") else ("WBK", "WBK-AFIRMASI")
        if not isinstance(body, dict) or not isinstance(body.get("tahun"), int) \
                or not isinstance(body.get("units"), list):
            sync.problems.append(f"{path}: not {{tahun: int, units: [...]}}: {body}")
            return
        sync.tahun = body["tahun"]
        for unit in body["units"]:
            where = f"{path} unit {unit.get('id')!r}"
            if not isinstance(unit.get("id"), str) or not isinstance(unit.get("nama"), str):
                sync.problems.append(f"{where}: id and nama must be strings")
            if "kategori" in unit and unit["kategori"] not in kategori:
                sync.problems.append(f"{where}: kategori {unit['kategori']!r}")
            if "afirmasi" in unit and not isinstance(unit["afirmasi"], bool):
                sync.problems.append(f"{where}: afirmasi must be a boolean")
            if unit.get("id") in sync.units:
                sync.problems.append(f"{where}: listed twice")
            sync.units[str(unit.get("id"))] = unit

    def check_answers(self, unit_id: str, body: Any, sync: Sync) -> None:
        where = f"jawaban-unit/{unit_id}"
        if body.get("unit_id") != unit_id or not isinstance(body.get("nama_unit"), str) \
                or body.get("tahun") != sync.tahun or not isinstance(body.get("answers"), list):
            sync.problems.append(f"{where}: header {[body.get(k) for k in ('unit_id', 'tahun')]}")
            return
        seen: set[int] = set()
        for answer in body["answers"]:
            soal_id = answer.get("soal_id")
            if not isinstance(soal_id, int) or isinstance(soal_id, bool) \
                    or soal_id not in self.soal:
                sync.problems.append(f"{where}: unknown soal_id {soal_id!r}")
                continue
            if soal_id in seen:
                sync.problems.append(f"{where}: soal {soal_id} twice")
            seen.add(soal_id)
            if "jawaban_unit" not in answer:
                sync.problems.append(f"{where}: soal {soal_id} without jawaban_unit")
            for key in ("jawaban_unit", *OPTIONAL):
                if answer.get(key) is not None and not isinstance(answer[key], str):
                    sync.problems.append(f"{where}: soal {soal_id} {key} is not a string")
            for key in ("jawaban_unit", "jawaban_tpi"):
                problem = self.invalid(self.soal[soal_id], answer.get(key))
                if problem:
                    sync.problems.append(f"{where}: soal {soal_id} {key} {problem}")
        missing = sorted(set(self.soal) - seen)
        if missing:
            sync.problems.append(f"{where}: questions missing: {missing}")

    @staticmethod
    def invalid(soal: dict[str, Any], value: Any) -> str | None:
        """Why a value does not fit the question's ``jenis_jawaban`` (None: it fits)."""
        if value is None:
            return None
        jenis = soal["jenis_jawaban"]
        if jenis in OPTION_TYPES:
            keys = [option["key"] for option in soal["skema_penilaian"]]
            return None if value in keys else f"{value!r} is not one of {keys}"
        if jenis in COUNT_TYPES:
            return None if re.fullmatch(r"\d+", str(value)) else f"{value!r} is not a count"
        if jenis in INDEX_TYPES:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                return f"{value!r} is not a number"
            return None if 0 <= number <= 4 else f"{value!r} is outside 0-4"
        return f"unknown jenis_jawaban {jenis!r}"
