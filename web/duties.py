"""Duties (tugas): the list of what the person may see, one duty with its history, and the
actions the person may take on it: submit a report with evidence (the unit's coordinator),
acknowledge it or waive the duty with a reason (the instansi's inspectorate).

Evidence is what ``workflow.duties.submit`` records: a list of texts. The page takes links
(one per line) and files; a file goes to the evidence store (``STORAGE_DIR``, addressed by
its hash) and is recorded as ``file:<sha256>:<name>``, downloadable by whoever sees the duty.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from web import bp
from web.errors import message_of
from web.home import MENU, N_
from web.labels import duty_kind_label
from web.session import current_person, login_required
from workflow import duties
from workflow.clock import jakarta_date, utcnow
from workflow.duty_calendar import STATES
from workflow.errors import Conflict, InvalidInput
from workflow.lke.storage import DirectoryStore
from workflow.models import Duty, User

PAGE_SIZE = 50
MAX_REPORT = 20000
MAX_TEXT = 4000
MAX_LINK = 2000
MAX_EVIDENCE = 50

STATE_LABELS = {
    "open": N_("Terbuka"), "overdue": N_("Terlambat"), "submitted": N_("Diserahkan"),
    "acknowledged": N_("Diterima"), "waived": N_("Dibebaskan"),
}

MENU.append((("coordinator", "inspectorate", "tpn", "admin"), N_("Tugas"),
             lambda: url_for("web.duty_list")))


def kind_label(kind: str) -> str:
    """The duty's kind as the e-mails name it (``web.labels``)."""
    return duty_kind_label(kind)


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def is_late(duty: Duty, today: date) -> bool:
    """Overdue, or still open past its due date (before the sweep marks it)."""
    return duty.state == "overdue" or (duty.state == "open" and duty.due_date < today)


def _person() -> User:
    person = current_person()
    assert person is not None  # login_required
    return person


def _store() -> DirectoryStore:
    return DirectoryStore(Path(current_app.config["STORAGE_DIR"]))


def evidence_label(item: str) -> str:
    """A stored file by its name, a link as it is."""
    parsed = duties.parse_file_evidence(item)
    return parsed[1] if parsed else item


@bp.app_template_global()
def duty_labels() -> dict[str, Any]:
    return {"kind": kind_label, "state": state_label, "evidence": evidence_label}


@bp.route("/tugas")
@login_required
def duty_list() -> Any:
    state = request.args.get("status") or None
    if state not in (None, *STATES):
        state = None
    page = request.args.get("halaman", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
    rows, total = duties.list_duties(_person(), state=state, page=page_number,
                                     page_size=PAGE_SIZE, open_first=True, with_units=True)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("duties/list.html", duties=rows, total=total, page=page_number,
                           pages=pages, state=state, states=STATES,
                           today=jakarta_date(utcnow()), is_late=is_late)


def _render_duty(duty_id: int, status: int = 200, form: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, conflict: str | None = None) -> Any:
    person = _person()
    duty, events = duties.duty_history(person, duty_id)
    evidence = [(item, duties.parse_file_evidence(item)) for item in duty.evidence or ()]
    return render_template(
        "duties/detail.html", duty=duty, events=events, evidence=evidence,
        actions=duties.available_actions(person, duty), form=form or {}, errors=errors or {},
        conflict=conflict, today=jakarta_date(utcnow()), is_late=is_late,
        max_bytes=int(current_app.config["EVIDENCE_MAX_BYTES"])), status


@bp.route("/tugas/<int:duty_id>")
@login_required
def duty_page(duty_id: int) -> Any:
    return _render_duty(duty_id)


def _links(text: str) -> tuple[list[str], str | None]:
    links = [line.strip() for line in text.splitlines() if line.strip()]
    for link in links:
        if not link.startswith(("http://", "https://")):
            return links, _("Setiap tautan diawali http:// atau https:// (satu per baris)")
        if len(link) > MAX_LINK:
            return links, _("Tautan paling panjang %(n)d karakter", n=MAX_LINK)
    if len(links) > MAX_EVIDENCE:
        return links, _("Paling banyak %(n)d tautan dan berkas", n=MAX_EVIDENCE)
    return links, None


def _upload() -> FileStorage | None:
    upload = request.files.get("berkas")
    return upload if upload is not None and upload.filename else None


def _failed(duty_id: int, error: InvalidInput | Conflict, form: dict[str, str],
            field: str) -> Any:
    """A refusal of the use case shown on the duty's page, with what was typed."""
    if isinstance(error, Conflict):
        return _render_duty(duty_id, 409, form, conflict=message_of(error))
    problems = error.errors or {}
    if "file" in problems:
        return _render_duty(duty_id, 400, form, {
            "berkas": "; ".join([message_of(error), *problems["file"]])})
    return _render_duty(duty_id, 400, form, {field: message_of(error)})


@bp.route("/tugas/<int:duty_id>/serahkan", methods=["POST"])
@login_required
def duty_submit(duty_id: int) -> Any:
    person = _person()
    form = {"report": request.form.get("report", ""), "links": request.form.get("links", "")}
    errors: dict[str, str] = {}
    report = form["report"].strip()
    if not report:
        errors["report"] = _("Laporan wajib diisi")
    elif len(report) > MAX_REPORT:
        errors["report"] = _("Laporan paling panjang %(n)d karakter", n=MAX_REPORT)
    links, problem = _links(form["links"])
    if problem:
        errors["links"] = problem
    upload = _upload()
    if errors:
        return _render_duty(duty_id, 400, form, errors)
    evidence = list(links)
    try:
        if upload is not None:
            limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
            data = upload.stream.read(limit + 1)
            evidence.append(duties.store_duty_file(person, duty_id, data, upload.filename or "",
                                                   _store(), limit))
        duties.submit(person, duty_id, report, evidence)
    except (InvalidInput, Conflict) as error:
        return _failed(duty_id, error, form, "report")
    flash(_("Laporan diserahkan"), "success")
    return redirect(url_for("web.duty_page", duty_id=duty_id))


@bp.route("/tugas/<int:duty_id>/terima", methods=["POST"])
@login_required
def duty_acknowledge(duty_id: int) -> Any:
    form = {"note": request.form.get("note", "")}
    if len(form["note"].strip()) > MAX_TEXT:
        return _render_duty(duty_id, 400, form, {
            "note": _("Catatan paling panjang %(n)d karakter", n=MAX_TEXT)})
    try:
        duties.acknowledge(_person(), duty_id, form["note"])
    except (InvalidInput, Conflict) as error:
        return _failed(duty_id, error, form, "note")
    flash(_("Laporan diterima"), "success")
    return redirect(url_for("web.duty_page", duty_id=duty_id))


@bp.route("/tugas/<int:duty_id>/bebaskan", methods=["POST"])
@login_required
def duty_waive(duty_id: int) -> Any:
    form = {"reason": request.form.get("reason", "")}
    reason = form["reason"].strip()
    if not reason:
        return _render_duty(duty_id, 400, form, {"reason": _("Alasan wajib diisi")})
    if len(reason) > MAX_TEXT:
        return _render_duty(duty_id, 400, form, {
            "reason": _("Alasan paling panjang %(n)d karakter", n=MAX_TEXT)})
    try:
        duties.waive(_person(), duty_id, reason)
    except (InvalidInput, Conflict) as error:
        return _failed(duty_id, error, form, "reason")
    flash(_("Tugas dibebaskan"), "success")
    return redirect(url_for("web.duty_page", duty_id=duty_id))


@bp.route("/tugas/<int:duty_id>/berkas/<sha256>")
@login_required
def duty_file(duty_id: int, sha256: str) -> Any:
    if len(sha256) != 64:
        abort(404)
    stream, filename = duties.open_duty_file(_person(), duty_id, sha256, _store())
    return send_file(stream, as_attachment=True, download_name=filename,
                     mimetype="application/octet-stream")
