"""The LKE worksheet pages (issue 8): question by question, the live score, the side by side.

``/kasus/<id>/lke/<self|tpi|tpn>`` shows one worksheet grouped by area and indicator. Each
question is one form: its answer control by answer type, a note, the reviewers' flag (TPI and
TPN sheets) and, on the unit's sheet, its evidence (a file or a link). A save posts that one
form; with htmx the answer is the re-rendered question plus the score panel swapped out of
band, without htmx the page is reloaded (post, redirect, get). Every write goes through the
same use case as the API (``workflow.cases.put_answers``, ``add_evidence_file``,
``delete_evidence``) with the ``expected_version`` the page was rendered at.

The page reads a fixed number of statements whatever the number of questions: the worksheet,
its explanation and (on a reviewer's sheet) the side by side are each read whole.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from web import bp
from web.errors import domain_error, message_of
from web.home import N_
from web.session import SESSION_USER, current_person, login_required
from workflow import cases
from workflow.db import db
from workflow.errors import (
    Conflict,
    FileTooLarge,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
)
from workflow.lke.answers import AUTHOR_ROLE, REVIEWERS
from workflow.lke.excel import XLSX
from workflow.lke.sheets import question_body
from workflow.lke.storage import DirectoryStore
from workflow.lke.versions import version_for_case
from workflow.lke.worksheet import Question
from workflow.models import Case, User
from workflow.permissions import require_act

KIND = "<any(self, tpi, tpn):kind>"
KIND_LABELS = {"self": N_("Penilaian mandiri unit"), "tpi": N_("Penilaian TPI"),
               "tpn": N_("Penilaian TPN")}
ASPECT_LABELS = {"pemenuhan": N_("Pemenuhan"), "reform": N_("Reform")}
#: the fields of a question's form that show their own errors
FIELDS = ("answer", "note", "needs_revision", "file", "link")


# --------------------------------------------------------------------------- reading


@dataclass
class Typed:
    """What was typed into one question, kept when its save is refused."""

    answer: str | None = None
    counts: dict[str, str] = field(default_factory=dict)
    note: str = ""
    needs_revision: bool = False


@dataclass
class Outcome:
    """What one post of an area's form did, shown beside the questions it concerns.

    ``item``: the one question saved (its own button), or None for the whole area."""

    area: str
    item: str | None = None
    #: item id ("" for the area as a whole) -> form field ("_": no field) -> messages
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    typed: dict[str, Typed] = field(default_factory=dict)
    stale: bool = False
    saved: bool = False
    #: the status of the answer without htmx (the worst refusal)
    status: int = 200

    @property
    def failed(self) -> bool:
        return self.stale or bool(self.errors)


def in_language(message: str) -> str:
    """A field message of the use cases (``"Indonesian / English"``) in the page language."""
    if " / " not in message:
        return message
    indonesian, english = message.split(" / ", 1)
    if ": " in english and ": " not in indonesian:  # "tidak dikenal / unknown: x"
        indonesian += ": " + english.split(": ", 1)[1]
    return english if str(get_locale()) == "en" else indonesian


def may_write(person: User, case: Case, kind: str) -> bool:
    """Whether the use case would let ``person`` write this worksheet (role and scope)."""
    try:
        require_act(person, case.unit, (AUTHOR_ROLE[kind],))
    except Forbidden:
        return False
    return True


def area_names(tree: Mapping[str, Any]) -> dict[str, str]:
    """Every area's printed name (pengungkit and hasil), from the rubric tree."""
    names: dict[str, str] = {}
    for component in tree.get("components") or []:
        for aspect in component.get("aspects") or []:
            for area in aspect.get("areas") or []:
                names.setdefault(str(area["key"]), str(area.get("name") or area["key"]))
    return names


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def sheet_view(person: User, case_id: int, kind: str) -> dict[str, Any]:
    """Everything the worksheet page shows, read in a fixed number of statements."""
    case = cases.get_case(person, case_id)
    sheet = cases.worksheet(person, case_id, kind)
    explained = cases.explain_worksheet(person, case_id, kind, None)
    unit_side = ({q["id"]: q["self"] for q in cases.side_by_side(person, case_id)["questions"]}
                 if kind != "self" else {})
    version = version_for_case(case)
    rubric = version.rubric
    names = area_names(rubric.tree)
    hasil_component = {spec.area_key: spec.component for spec in rubric.hasil_specs.values()}
    evaluation = sheet["evaluation"]
    questions = {q["id"]: q for q in sheet["questions"]}
    number = {item_id: index for index, item_id in enumerate(questions, start=1)}

    areas: dict[str, dict[str, Any]] = {}
    indicators = []
    for index, indicator in enumerate(explained["indicators"]):
        key = indicator["area"]
        if key not in areas:
            if indicator["component"] == "pengungkit":
                score, weight = evaluation["areas"][key], rubric.pengungkit_areas[key]
            else:
                component = hasil_component[key]
                score = evaluation["components"][component]
                weight = rubric.hasil_components[component]
            areas[key] = {"key": key, "name": names.get(key, key), "score": score,
                          "weight": f"{weight:.2f}", "indicators": [], "flagged": 0,
                          "component": indicator["component"], "ids": set(),
                          "first": indicator["questions"][0]["id"]}
        weights = {row["id"]: Decimal(row["weight"]) for row in indicator["questions"]}
        total_weight = sum(weights.values(), Decimal(0))
        rows = []
        for row in indicator["questions"]:
            share = Decimal(indicator["weight"]) * weights[row["id"]] / total_weight
            value = _decimal(row["value"])
            question = questions[row["id"]]
            flagged = any(r["needs_revision"] for r in question["review"].values())
            areas[key]["flagged"] += flagged
            areas[key]["ids"].add(row["id"])
            rows.append({"q": question, "number": number[row["id"]], "flagged": flagged,
                         "share": f"{share:.2f}",
                         "points": None if value is None else f"{share * value:.2f}",
                         "unit": unit_side.get(row["id"])})
        entry = {"index": index, "name": indicator["name"], "points": indicator["points"],
                 "weight": indicator["weight"], "arithmetic": indicator["arithmetic"],
                 "aspect": indicator["path"].split(".")[0], "questions": rows}
        areas[key]["indicators"].append(entry)
        indicators.append(entry)
    target = case.target
    thresholds = rubric.thresholds[target]
    area_minimum = {key: (None if thresholds.area_min_fraction is None
                          else f"{weight * thresholds.area_min_fraction:.2f}")
                    for key, weight in rubric.pengungkit_areas.items()}
    writable = sheet["editable"] and may_write(person, case, kind)
    below = {u.get("subject") for u in evaluation["predicates"][target]["unmet"]
             if u["code"] == "area_below_minimum"}
    return {
        "case": case, "kind": kind, "sheet": sheet, "explained": explained,
        "areas": list(areas.values()), "indicators": indicators, "writable": writable,
        "area_minimum": area_minimum, "target": target, "number": number, "below": below,
        "flagged": [(number[item], questions[item]) for item in number
                    if any(r["needs_revision"] for r in questions[item]["review"].values())],
        # "… = 3.50 (dari angka tak dibulatkan / from unrounded)": the sum, said once below
        "explain_arithmetic": {a["key"]: a["arithmetic"].split(" (")[0]
                               for a in explained["areas"]},
    }


@bp.app_template_filter("short_link")
def short_link(link: str) -> str:
    """A link as shown: its host and the end of its path, at most 48 characters."""
    if len(link) <= 48:
        return link
    rest = link.split("://", 1)[-1]
    host, _slash, path = rest.partition("/")
    return f"{host}/…{path[-(45 - len(host)):]}" if len(host) < 30 else rest[:47] + "…"


@bp.app_template_filter("plain")
def plain(value: str) -> str:
    """A question's value as people write it: 1, 0.5, 0.6667."""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in ("0", "-0") else text


@bp.app_template_filter("in_language")
def in_language_filter(message: str) -> str:
    return in_language(message)


@bp.app_context_processor
def worksheet_labels() -> dict[str, Any]:
    return {"kind_label": lambda kind: _(KIND_LABELS[kind]),
            "aspect_label": lambda key: _(ASPECT_LABELS[key]) if key in ASPECT_LABELS else ""}


# --------------------------------------------------------------------------- pages


def _page_url(case_id: int, kind: str, item_id: str | None = None,
              anchor: str | None = None) -> str:
    url = url_for("web.worksheet_page", case_id=case_id, kind=kind, q=item_id)
    return url + (f"#{anchor}" if anchor else "")


@bp.route(f"/kasus/<int:case_id>/lke/{KIND}")
@login_required
def worksheet_page(case_id: int, kind: str) -> Any:
    person = current_person()
    assert person is not None
    view = sheet_view(person, case_id, kind)
    return render_template("worksheet/page.html", **view, outcome=None,
                           open_item=request.args.get("q"))


@bp.route("/kasus/<int:case_id>/lke/banding")
@login_required
def worksheet_compare(case_id: int) -> Any:
    person = current_person()
    assert person is not None
    case = cases.get_case(person, case_id)
    compared = cases.side_by_side(person, case_id)
    names = area_names(version_for_case(case).rubric.tree)
    groups: dict[str, list[dict[str, Any]]] = {}
    for number, question in enumerate(compared["questions"], start=1):
        groups.setdefault(question["area"], []).append({"number": number, **question})
    return render_template("worksheet/compare.html", case=case, compared=compared,
                           groups=groups, names=names, kind="banding")


@bp.route(f"/kasus/<int:case_id>/lke/{KIND}.xlsx")
@login_required
def worksheet_excel(case_id: int, kind: str) -> Any:
    """The Excel worksheet (PortalRB's layout) for the signed-in person."""
    person = current_person()
    assert person is not None
    data = cases.export_excel(person, case_id, kind)
    response = send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=f"lke-kasus-{case_id}-{kind}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def evidence_store() -> DirectoryStore:
    return DirectoryStore(Path(current_app.config["STORAGE_DIR"]))


@bp.route("/kasus/<int:case_id>/lke/bukti/<int:evidence_id>")
@login_required
def worksheet_evidence(case_id: int, evidence_id: int) -> Any:
    """An evidence file, for whoever may read the case (as the API's download)."""
    person = current_person()
    assert person is not None
    row = cases.evidence_for_download(person, case_id, evidence_id)
    assert row.sha256 is not None and row.filename is not None
    response = send_file(evidence_store().open(row.sha256), mimetype=row.content_type,
                         as_attachment=True, download_name=row.filename, etag=row.sha256,
                         max_age=0, conditional=False)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- saving


def _count(text: str) -> int | str | None:
    """A count as typed: a whole number, or the text itself for the use case to refuse."""
    text = text.strip()
    if not text:
        return None
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isascii() and digits.isdigit() else text


def _typed(question: Question, n: int, kind: str, form: Mapping[str, str]) -> Typed:
    """The fields of question number ``n`` in its area's form (``a12``, ``c12.key``, ``n12``,
    ``r12``, ``l12``, ``f12``)."""
    return Typed(
        answer=(form.get(f"a{n}") or "").strip() or None,
        counts={c.key: form.get(f"c{n}.{c.key}", "") for c in question.counts},
        note=(form.get(f"n{n}") or "").replace("\r\n", "\n"),
        needs_revision=kind in REVIEWERS and form.get(f"r{n}") == "1")


def _entry(question: Question, kind: str, typed: Typed, current: Mapping[str, Any],
           link: str) -> dict[str, Any]:
    """The put_answers entry of what changed (``{"item_id": …}`` alone: nothing did)."""
    entry: dict[str, Any] = {"item_id": question.id}
    if question.answer_type == "percent":
        if any(v.strip() for v in typed.counts.values()):
            counts = {key: _count(value) for key, value in typed.counts.items()}
            if counts != current["counts"]:
                entry["counts"] = counts
    elif question.answer_type == "survey_index":
        if typed.answer is not None:  # "3,6" as Indonesians write it, or "3.6"
            answer = typed.answer.replace(",", ".")
            if _differs_as_number(answer, current["answer"]):
                entry["answer"] = answer
    elif typed.answer is not None and typed.answer != current["answer"]:
        entry["answer"] = typed.answer
    if typed.note != current["note"]:
        entry["note"] = typed.note
    if kind in REVIEWERS and typed.needs_revision != current["needs_revision"]:
        entry["needs_revision"] = typed.needs_revision
    if link:
        entry["evidence_links"] = [link]
    return entry


def _differs_as_number(typed: str, current: str | None) -> bool:
    """``3.6`` typed for a stored ``3.60`` is no change."""
    if current is None:
        return True
    try:
        return Decimal(typed) != Decimal(current)
    except ArithmeticError:
        return True


def _field_errors(error: InvalidInput, numbers: Mapping[str, int],
                  item_id: str = "") -> dict[str, dict[str, list[str]]]:
    """The use case's errors by question and form field: ``items.<id>.counts.x`` of question
    12 becomes ``{<id>: {"c12.x": […]}}``; an evidence error goes to ``item_id``."""
    found: dict[str, dict[str, list[str]]] = {}
    for key, messages in (error.errors or {}).items():
        owner, name = item_id, key
        if key.startswith("items."):
            rest = key[len("items."):]
            owner = next((i for i in numbers if rest.startswith(i + ".")), "")
            name = rest[len(owner) + 1:] if owner else "_"
        n = numbers.get(owner, 0)
        name = {"answer": f"a{n}", "note": f"n{n}", "needs_revision": f"r{n}",
                "evidence_links": f"l{n}", "file": f"f{n}", "description": f"f{n}"}.get(
            name, f"c{n}.{name[len('counts.'):]}" if name.startswith("counts.") else "_")
        found.setdefault(owner, {}).setdefault(name, []).extend(
            in_language(m) for m in messages)
    if not found:
        found[item_id] = {"_": [message_of(error)]}
    return found


def _read_upload(upload: FileStorage) -> bytes:
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"Berkas lebih besar dari {limit} byte",
                           f"The file exceeds {limit} bytes",
                           errors={"file": [f"paling besar {limit} byte / at most {limit} bytes"]})
    return data


def _expected_version() -> int:
    try:
        return int(request.form.get("expected_version", ""))
    except ValueError:
        abort(400)


def _save(person: User, case_id: int, kind: str, chosen: list[Question],
          numbers: Mapping[str, int], outcome: Outcome) -> None:
    """The answers, notes, flags and links of the chosen questions in one put_answers (all or
    nothing), then each chosen file with add_evidence_file; ``outcome`` says what happened."""
    form = request.form
    current = {q["id"]: q for q in cases.worksheet(person, case_id, kind)["questions"]}
    entries = []
    for question in chosen:
        n = numbers[question.id]
        typed = _typed(question, n, kind, form)
        outcome.typed[question.id] = typed
        link = (form.get(f"l{n}") or "").strip() if kind == "self" else ""
        entry = _entry(question, kind, typed, current[question.id], link)
        if len(entry) > 1:
            entries.append(entry)
    version = _expected_version()
    try:
        if entries:
            version = cases.put_answers(person, case_id, kind, entries, version).version
            outcome.saved = True
            outcome.typed.clear()
    except InvalidInput as error:
        outcome.errors, outcome.status = _field_errors(error, numbers), 400
        return
    if kind != "self":
        return
    for question in chosen:
        upload = request.files.get(f"f{numbers[question.id]}")
        if upload is None or not upload.filename:
            continue
        try:
            _row, version = cases.add_evidence_file(
                person, case_id, question.id, upload.filename, _read_upload(upload), "",
                version, evidence_store(), int(current_app.config["EVIDENCE_MAX_BYTES"]))
            outcome.saved = True
        except InvalidInput as error:
            for owner, fields in _field_errors(error, numbers, question.id).items():
                outcome.errors.setdefault(owner, {}).update(fields)
            outcome.status = max(outcome.status, STATUS.get(error.code, 400))


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.route(f"/kasus/<int:case_id>/lke/{KIND}/area/<area>", methods=["POST"])
@login_required
def worksheet_save(case_id: int, kind: str, area: str) -> Any:
    """Save one question of an area (its own button) or every change in the area: answers,
    notes, flags, and the unit's evidence; or take one piece of evidence off."""
    person = current_person()
    assert person is not None
    case = cases.get_case(person, case_id)
    questions = version_for_case(case).worksheet.questions
    numbers = {item_id: n for n, item_id in enumerate(questions, start=1)}
    in_area = [q for q in questions.values() if q.area == area]
    if not in_area:
        abort(404)
    form = request.form
    outcome = Outcome(area)
    try:
        if "hapus" in form and kind == "self":
            row, _version = cases.delete_evidence(person, case_id,
                                                  _number(form["hapus"]), _expected_version())
            outcome.item, outcome.saved = row.item_id, True
        else:
            chosen = in_area
            if "simpan" in form:
                n = _number(form["simpan"])
                chosen = [q for q in in_area if numbers[q.id] == n]
                if not chosen:
                    abort(400)
                outcome.item = chosen[0].id
            _save(person, case_id, kind, chosen, numbers, outcome)
    except StaleVersion:
        outcome.stale, outcome.status = True, 409
    except InvalidInput as error:  # evidence already taken off
        outcome.errors = _field_errors(error, numbers, outcome.item or "")
        outcome.status = 400
    except Conflict as error:  # e.g. the worksheet became final meanwhile
        outcome.errors = {outcome.item or "": {"_": [message_of(error)]}}
        outcome.status = 409
    return _answer(person, case, kind, outcome)


def _number(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        abort(400)
    return int(text)


STATUS = {"file_too_large": 413, "unsupported_file_type": 415}


def _answer(person: User, case: Case, kind: str, outcome: Outcome) -> Any:
    """htmx: the question (or the area) and the score panel out of band; otherwise the page
    again, through a redirect when everything was saved."""
    questions = version_for_case(case).worksheet.questions
    numbers = {item_id: n for n, item_id in enumerate(questions, start=1)}
    shown = outcome.item or next(q.id for q in questions.values() if q.area == outcome.area)
    anchor = f"q{numbers[outcome.item]}" if outcome.item else f"area-{outcome.area}"
    if not _is_htmx() and not outcome.failed:
        flash(_("Tersimpan") if outcome.saved else _("Tidak ada perubahan"),
              "success" if outcome.saved else "info")
        return redirect(_page_url(case.id, kind, shown, anchor))
    view = sheet_view(person, case.id, kind)
    if not _is_htmx():
        return render_template("worksheet/page.html", **view, outcome=outcome,
                               open_item=shown), outcome.status
    area = next(a for a in view["areas"] if a["key"] == outcome.area)
    response = make_response(render_template("worksheet/saved.html", **view, area=area,
                                             outcome=outcome, open_item=shown))
    # Refused saves answer 200 too: htmx swaps only successful responses by default.
    response.headers["HX-Retarget"] = f"#{anchor}"
    response.headers["HX-Reswap"] = "outerHTML show:none"
    return response


@bp.errorhandler(FileTooLarge)
def upload_too_large(error: FileTooLarge) -> Any:
    """A file over the limit is refused before its form is read (``api.limits``): shown at
    the top of its area when it came from a worksheet's form, else the error page."""
    args = request.view_args or {}
    if request.endpoint != "web.worksheet_save":
        return domain_error(error)
    # Refused ahead of the page's own before-request (which reads the form): who is it?
    person = current_person() or _person_of_session()
    if person is None:
        return domain_error(error)
    g.person = person
    outcome = Outcome(str(args["area"]), errors={"": {"_": [message_of(error)]}}, status=413)
    try:
        case = cases.get_case(person, int(args["case_id"]))
        return _answer(person, case, str(args["kind"]), outcome)
    except (Forbidden, NotFound, StopIteration):
        return domain_error(error)


def _person_of_session() -> User | None:
    user_id = session.get(SESSION_USER)
    user = None if user_id is None else db.session.get(User, user_id)
    return user if user is not None and user.active else None


@bp.route(f"/kasus/<int:case_id>/lke/{KIND}/riwayat/<int:number>")
@login_required
def worksheet_revisions(case_id: int, kind: str, number: int) -> Any:
    """Every revision of one answer, newest first, with who wrote it."""
    person = current_person()
    assert person is not None
    case = cases.get_case(person, case_id)
    questions = list(version_for_case(case).worksheet.questions.values())
    if not 1 <= number <= len(questions):
        abort(404)
    question = questions[number - 1]
    revisions = cases.answer_revisions(person, case_id, kind, question.id)
    ids = {revision.answered_by for revision in revisions}
    authors = dict(db.session.execute(
        select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return render_template("worksheet/revisions.html", case=case, kind=kind, number=number,
                           question=question, q=question_body(question),
                           revisions=revisions, authors=authors)
