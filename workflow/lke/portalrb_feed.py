"""Use cases behind PortalRB's pull API: what it sees, what it fetched, what changed since.

PortalRB lists an instansi's proposed units of a year and fetches each unit's answers
(``shared/portalrb/README.md``). A case is proposed (seen by PortalRB) when it is of that
year, the TPI approved it (``reviu_tpn``, or ``penetapan`` after it), it is a 90/2021 case
(a 52/2014 case never is) and its worksheet has a place for every question of PortalRB's
master list. Only then are its worksheets final: the unit's closed at submission, the TPI's
at approval.

Every fetch of a unit's answers is written to the case's audit trail (the token, the time,
the SHA-256 of the exact body served) and kept as the case's last fetch; when a change
afterwards alters what PortalRB would get, the inspectorate is told once (the outbox, in the
change's own transaction) until PortalRB fetches again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.audit import append_event
from workflow.case_record import CaseRecord
from workflow.clock import as_utc
from workflow.conditions import Unmet
from workflow.db import db
from workflow.errors import Forbidden, NotFound
from workflow.lke import portalrb
from workflow.lke.answers import EDITABLE, answers_of, evidence_of
from workflow.lke.catalog import Version
from workflow.lke.portalrb_body import (
    Given,
    ProposedUnit,
    answer_entries,
    encode,
    jawaban_body,
    kategori,
    missing_soal,
    sha256,
    unit_list,
)
from workflow.lke.versions import version_for_case
from workflow.models import (
    Answer,
    Case,
    Evidence,
    Instansi,
    IntegrationToken,
    PortalrbFetch,
    Unit,
    User,
)
from workflow.notices import notify
from workflow.permissions import require_role

LISTED_STATES = ("reviu_tpn", "penetapan")
REGULATION = "permenpanrb-90-2021"
FETCH_ACTION = "portalrb_fetch"

#: evidence row -> what PortalRB is given for it (a link, or words when it cannot be linked)
LinkFor = Callable[[Evidence], str]


def content_link(row: Evidence) -> str:
    """Evidence named by content: what the change tracking compares (a signed link is not
    stable: it carries its expiry)."""
    return row.link or f"file:{row.sha256}:{row.filename}"


@functools.cache
def master_ids() -> frozenset[int]:
    return frozenset(portalrb.soal_index(portalrb.load_master()))


def _unmapped(version: Version) -> list[int]:
    return missing_soal(version.worksheet, master_ids())


def proposed_cases(instansi_id: int, tahun: int, target: str | None = None,
                   unit_id: int | None = None) -> list[Case]:
    """The cases PortalRB sees for the instansi and year, by unit code."""
    query = (select(Case).join(Unit, Unit.id == Case.unit_id)
             .where(Unit.instansi_id == instansi_id, Case.year == tahun,
                    Case.state.in_(LISTED_STATES), Case.regulation == REGULATION)
             .order_by(Unit.code, Case.id))
    if target is not None:
        query = query.where(Case.target == target)
    if unit_id is not None:
        query = query.where(Case.unit_id == unit_id)
    return [case for case in db.session.execute(query).scalars()
            if not _unmapped(version_for_case(case))]


def _proposed(case: Case) -> ProposedUnit:
    return ProposedUnit(case.unit.code, case.unit.name, case.target, case.unit.afirmasi)


def unit_list_body(instansi_id: int, tahun: int, target: str) -> dict[str, Any]:
    """``GET /pengusulan/unit-wbk`` and ``unit-wbbm``: one entry per proposed unit."""
    return unit_list(tahun, [_proposed(c) for c in proposed_cases(instansi_id, tahun, target)])


def case_for_unit(instansi_id: int, unit_code: str, tahun: int) -> Case:
    """The proposal PortalRB asks for by unit id (our unit code).

    A code the instansi does not have is refused as out of scope, whether or not another
    instansi has it, so a token learns nothing about other instansi's units. The newest
    proposal wins when a unit has two in one year (a WBK designated, then WBBM proposed).
    """
    unit = db.session.execute(select(Unit).where(
        Unit.instansi_id == instansi_id, Unit.code == unit_code)).scalar_one_or_none()
    if unit is None:
        raise Forbidden("Unit bukan milik instansi pemegang token ini",
                        "The unit is not one of this token's instansi", code="out_of_scope")
    proposed = proposed_cases(instansi_id, tahun, unit_id=unit.id)
    if proposed:
        return max(proposed, key=lambda case: case.id)
    raise NotFound(f"Unit {unit_code} tidak diusulkan pada tahun {tahun}",
                   f"Unit {unit_code} is not proposed in {tahun}", code="not_proposed")


def _given(rows: dict[str, Answer]) -> dict[str, Given]:
    return {item: Given(row.answer, row.counts, row.note) for item, row in rows.items()}


def answers_body(case: Case, link_for: LinkFor) -> dict[str, Any]:
    """``GET /lke/jawaban-unit/{unit_id}``: every PortalRB question of the case's worksheet."""
    version = version_for_case(case)
    rows = answers_of(case.id, ("self", "tpi"))
    evidence = {item: [link_for(row) for row in found if row.kind == "self"]
                for item, found in evidence_of(case.id).items()}
    entries = answer_entries(version.worksheet, _given(rows["self"]), _given(rows["tpi"]),
                             evidence)
    return jawaban_body(case.unit.code, case.unit.name, case.year, entries)


def _is_listed(case: Case, tahun: int) -> bool:
    return (case.year == tahun and case.state in LISTED_STATES and case.regulation == REGULATION
            and not _unmapped(version_for_case(case)))


def content_sha256(case: Case, tahun: int) -> str:
    """What PortalRB would get now (its list entry and the answers), evidence by content."""
    if not _is_listed(case, tahun):
        return sha256(encode(None))
    return sha256(encode({"unit": _proposed(case).as_entry(),
                          "jawaban": answers_body(case, content_link)}))


@dataclass(frozen=True)
class Served:
    body: bytes
    body_sha256: str


def fetch_answers(token: IntegrationToken, unit_code: str, tahun: int, link_for: LinkFor,
                  now: datetime) -> Served:
    """Serve one unit's answers and record the fetch, in one transaction."""
    try:
        found = case_for_unit(token.instansi_id, unit_code, tahun)
        case = db.session.execute(
            select(Case).where(Case.id == found.id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one()
        body = encode(answers_body(case, link_for))
        served = Served(body, sha256(body))
        content = content_sha256(case, tahun)
        # The audit trail names a person; a fetch is made by a token, so it is named instead.
        actor = User(id=None, email=f"integration-token:{token.id}", role="portalrb")
        append_event(case, actor, FETCH_ACTION, case.state, None, now, score={
            "token_id": token.id, "unit_id": unit_code, "tahun": tahun,
            "body_sha256": served.body_sha256, "content_sha256": content})
        fetch = db.session.get(PortalrbFetch, case.id) or PortalrbFetch(case_id=case.id)
        fetch.token_id, fetch.tahun, fetch.fetched_at = token.id, tahun, now
        fetch.body_sha256, fetch.content_sha256, fetch.notified_at = (
            served.body_sha256, content, None)
        db.session.add(fetch)
        db.session.commit()
        return served
    except BaseException:
        db.session.rollback()
        raise


@dataclass(frozen=True)
class FetchState:
    last_fetched_at: datetime | None
    changed_since_fetch: bool


def fetch_state(case: Case | CaseRecord) -> FetchState:
    """When PortalRB last fetched the case, and whether what it would get differs now (a
    record is of a case PortalRB never fetched)."""
    if isinstance(case, CaseRecord) or case.portalrb_fetch is None:
        return FetchState(None, False)
    fetch = case.portalrb_fetch
    return FetchState(as_utc(fetch.fetched_at),
                      content_sha256(case, fetch.tahun) != fetch.content_sha256)


def note_change(case: Case, change: str, now: datetime) -> None:
    """After a change in the caller's transaction: tell the inspectorate if PortalRB fetched
    the proposal and would now get something else (once per fetch)."""
    fetch = case.portalrb_fetch
    if fetch is None or fetch.notified_at is not None:
        return
    if content_sha256(case, fetch.tahun) == fetch.content_sha256:
        return
    fetch.notified_at = now
    fetched_at = as_utc(fetch.fetched_at)
    notify(case.unit, ("inspectorate",), "portalrb_changed", {
        "case_id": case.id, "unit_id": case.unit_id, "unit_code": case.unit.code,
        "unit_name": case.unit.name, "target": case.target, "tahun": fetch.tahun,
        "state": case.state, "change": change, "fetched_at": fetched_at.isoformat(),
        "changed_at": now.isoformat(), "link": f"/kasus/{case.id}",
    }, key=f"portalrb_changed:{case.id}:{fetched_at.isoformat()}", now=now)


def note_unit_change(unit: Unit, now: datetime) -> None:
    """A unit's name or afirmasi flag changed: every fetched proposal of it may differ."""
    fetched = db.session.execute(
        select(Case).join(PortalrbFetch, PortalrbFetch.case_id == Case.id)
        .where(Case.unit_id == unit.id)).scalars()
    for case in fetched:
        note_change(case, "unit", now)


# --------------------------------------------------------------------------- readiness

# The states before a worksheet opens: it is not final there either.
_BEFORE = {"self": (), "tpi": ("pencanangan", "pembangunan")}


@dataclass(frozen=True)
class Readiness:
    case: Case
    kategori: str
    visible: bool
    problems: Sequence[Unmet]

    @property
    def ready(self) -> bool:
        return self.visible and not self.problems


def proposal_readiness(actor: User, instansi_id: int, tahun: int, max_file_bytes: int
                       ) -> list[Readiness]:
    """``GET /instansi/{id}/proposal-readiness``: the inspectorate's check before the deadline."""
    require_role(actor, ("admin", "inspectorate"))
    if actor.role == "inspectorate" and actor.instansi_id != instansi_id:
        raise NotFound(f"Instansi {instansi_id} tidak ditemukan",
                       f"Instansi {instansi_id} not found")
    return readiness(instansi_id, tahun, max_file_bytes)


def readiness(instansi_id: int, tahun: int, max_file_bytes: int) -> list[Readiness]:
    """Each case of the instansi and year: would PortalRB see it, and if not, why."""
    if db.session.get(Instansi, instansi_id) is None:
        raise NotFound(f"Instansi {instansi_id} tidak ditemukan",
                       f"Instansi {instansi_id} not found")
    cases = db.session.execute(
        select(Case).join(Unit, Unit.id == Case.unit_id)
        .where(Unit.instansi_id == instansi_id, Case.year == tahun)
        .order_by(Unit.code, Case.id)).scalars()
    return [_readiness(case, max_file_bytes) for case in cases]


def _readiness(case: Case, max_file_bytes: int) -> Readiness:
    problems: list[Unmet] = []
    if case.regulation != REGULATION:
        problems.append(Unmet(
            "regulation_not_supported",
            f"Kasus {case.regulation}: PortalRB hanya menerima LKE PermenPANRB 90/2021",
            f"A {case.regulation} case: PortalRB takes only the LKE of PermenPANRB 90/2021"))
    if case.state in ("dicabut", "ditarik"):
        problems.append(Unmet("case_closed", f"Kasus sudah {case.state}",
                              f"The case is closed ({case.state})"))
    elif case.state not in LISTED_STATES:
        problems.append(Unmet("not_approved_by_tpi", "Belum disetujui TPI (tpi_approve)",
                              "Not yet approved by the TPI (tpi_approve)", subject=case.state))
    open_kinds = [kind for kind in ("self", "tpi")
                  if case.state in EDITABLE[kind] or case.state in _BEFORE[kind]]
    for kind in open_kinds:
        problems.append(Unmet("worksheet_not_final", f"Lembar kerja {kind} belum final",
                              f"The {kind} worksheet is not final yet", subject=kind))
    visible = not problems
    if case.regulation == REGULATION:
        version = version_for_case(case)
        unmapped = _unmapped(version)
        if unmapped:
            visible = False
            problems.append(Unmet(
                "rubric_not_mapped",
                f"Rubrik {version.id} tidak memuat {len(unmapped)} soal PortalRB",
                f"Rubric {version.id} lacks {len(unmapped)} PortalRB questions"))
        rows = answers_of(case.id, ("self", "tpi"))
        for kind in ("self", "tpi"):
            if kind in open_kinds:
                continue
            missing = tuple(q.id for q in version.worksheet.questions.values()
                            if q.id not in rows[kind] or not _answered(rows[kind][q.id]))
            if missing:
                problems.append(Unmet(
                    "questions_unanswered",
                    f"{len(missing)} pertanyaan lembar kerja {kind} belum dijawab",
                    f"{len(missing)} questions of the {kind} worksheet are unanswered",
                    subject=kind, items=missing))
        large = tuple(dict.fromkeys(
            row.item_id for found in evidence_of(case.id).values() for row in found
            if row.kind == "self" and row.sha256 and (row.size or 0) > max_file_bytes))
        if large:
            problems.append(Unmet(
                "evidence_too_large",
                f"{len(large)} berkas bukti dukung melebihi batas tautan "
                f"({max_file_bytes // 2**20} MB)",
                f"{len(large)} evidence files exceed the link limit ({max_file_bytes // 2**20} MB)",
                items=large))
    return Readiness(case, kategori(case.target, case.unit.afirmasi), visible, problems)



def _answered(row: Answer) -> bool:
    return row.answer is not None or row.counts is not None
