"""The case pages: ``/kasus/<id>`` (state, diagram, the available actions with every unmet
condition, a reason where one is required, history), ``/kasus/<id>/pencanangan`` (the
declaration) and ``/kasus/<id>/pengusulan`` (the 90/2021 proposal conditions).

Every write posts the case's version as ``expected_version``; a lost race shows "Data telah
diubah orang lain" with a reload link, a refused transition lists each unmet condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import bp
from web.diagram import state_diagram
from web.errors import message_of
from web.labels import field_errors, state_label, trigger_label, unmet_text
from web.session import current_person, login_required
from workflow import cases
from workflow.errors import Conflict, GuardFailed, InvalidInput, StaleVersion
from workflow.inputs import (
    BPK_OPINIONS,
    REASON_MAX,
    SAKIP_GRADES,
    SPIP_MAX,
    SPIP_MIN,
    declaration_form,
    proposal_form,
    too_long,
    version_of,
)
from workflow.machine import SPECS
from workflow.models import Case, User

WORKSHEET_KINDS = ("self", "tpi", "tpn")
DECLARATION_FIELDS = ("staff_total", "pakta_signed", "head_signed", "commitment_statement",
                      "team")
PROPOSAL_FIELDS = ("bpk_opinion", "sakip_instansi", "indeks_rb", "spip_level", "tlhp_percent",
                   "lhkpn_percent", "lhkasn_percent", "sakip_unit")
STALE = {"expected_version": ["versi kasus tidak ada / the case's version is missing"]}


def _person() -> User:
    person = current_person()
    assert person is not None  # login_required
    return person


# --- the case --------------------------------------------------------------------------


def _case_page(person: User, case_id: int, status: int = 200, **shown: Any) -> Any:
    case = cases.get_case(person, case_id)
    available = cases.available_transitions(person, case)
    events = cases.history(person, case.id)
    diagram = state_diagram(case.state, state_label, trigger_label,
                            _("Diagram tahap kasus; tahap sekarang: %(state)s",
                              state=state_label(case.state)))
    page = {"refused": None, "refusal": [], "errors": {}, "reason": "", "stale": False,
            "message": None, **shown}
    return render_template("case/page.html", case=case, available=available, events=events,
                           diagram=diagram, worksheets=WORKSHEET_KINDS,
                           reason_max=REASON_MAX, **page), status


@bp.route("/kasus/<int:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    return _case_page(_person(), case_id)


@bp.route("/kasus/<int:case_id>/transisi", methods=["POST"])
@login_required
def fire_transition(case_id: int) -> Any:
    person = _person()
    trigger = request.form.get("trigger", "")
    reason = request.form.get("reason", "").strip()
    version = version_of(request.form)
    if trigger not in SPECS:
        return _case_page(person, case_id, 400, message=_("Tindakan tidak dikenal"))
    if version is None:
        return _case_page(person, case_id, 409, stale=True)
    if len(reason) > REASON_MAX:
        return _case_page(person, case_id, 400, refused=trigger, reason=reason,
                          errors=field_errors({"reason": [too_long(REASON_MAX)]}))
    try:
        cases.transition(person, case_id, trigger, version, reason or None)
    except StaleVersion:
        return _case_page(person, case_id, 409, stale=True, refused=trigger, reason=reason)
    except GuardFailed as err:
        reasons = [unmet_text(u) for u in err.unmet if u.code == "reason_missing"]
        return _case_page(person, case_id, 422, refused=trigger, reason=reason,
                          refusal=[unmet_text(u) for u in err.unmet],
                          errors={"reason": reasons} if reasons else {})
    except Conflict as err:
        return _case_page(person, case_id, 409, message=message_of(err))
    flash(_("%(action)s: berhasil.", action=trigger_label(trigger)), "success")
    return redirect(url_for("web.case_page", case_id=case_id))


# --- the forms of a case ------------------------------------------------------------------


def _form_page(template: str, case: Case, form: Mapping[str, Any], can_edit: bool,
               version: int, status: int = 200, errors: Mapping[str, list[str]] | None = None,
               stale: bool = False, message: str | None = None, **extra: Any) -> Any:
    return render_template(template, case=case, form=form, can_edit=can_edit, version=version,
                           errors=errors or {}, stale=stale, message=message, **extra), status


def _post_form(person: User, case_id: int, template: str, read: Callable[[Mapping[str, str]],
               tuple[dict[str, Any], dict[str, list[str]]]], typed: dict[str, Any],
               write: Callable[[dict[str, Any], int], Any], can_edit: bool, done: str,
               **extra: Any) -> Any:
    """Check what was typed, write it with the version the page showed; on any refusal show
    the form again with what was typed and each field's error beside it."""
    case = cases.get_case(person, case_id)
    version = version_of(request.form)
    data, errors = read(request.form)
    shown = {"case": case, "form": typed, "can_edit": can_edit, **extra}
    if version is None:
        return _form_page(template, version=case.version, status=409, stale=True, **shown)
    if errors:
        return _form_page(template, version=version, status=400, errors=field_errors(errors),
                          **shown)
    try:
        write(data, version)
    except StaleVersion:
        return _form_page(template, version=version, status=409, stale=True, **shown)
    except InvalidInput as err:
        return _form_page(template, version=version, status=400,
                          errors=field_errors(err.errors), message=message_of(err), **shown)
    except Conflict as err:
        return _form_page(template, version=version, status=409, message=message_of(err),
                          **shown)
    flash(done, "success")
    return redirect(url_for("web.case_page", case_id=case_id))


def _declaration_typed(source: Mapping[str, Any] | None) -> dict[str, Any]:
    if source is None:
        return {"staff_total": "", "pakta_signed": "", "head_signed": False,
                "commitment_statement": "", "team": ""}
    return {"staff_total": source.get("staff_total", ""),
            "pakta_signed": source.get("pakta_signed", ""),
            "head_signed": source.get("head_signed") in (True, "1", "on", "true", "yes"),
            "commitment_statement": source.get("commitment_statement", ""),
            "team": source.get("team", "")}


@bp.route("/kasus/<int:case_id>/pencanangan", methods=["GET", "POST"])
@login_required
def declaration_page(case_id: int) -> Any:
    person = _person()
    case = cases.get_case(person, case_id)
    can_edit = person.role == "coordinator" and case.state in cases.DECLARATION_STATES
    template = "case/declaration.html"
    if request.method == "POST":
        return _post_form(
            person, case_id, template, declaration_form, _declaration_typed(request.form),
            lambda data, version: cases.put_declaration(person, case_id, data, version),
            can_edit, _("Data pencanangan disimpan."))
    decl = case.declaration
    stored = None if decl is None else {
        **{key: getattr(decl, key) for key in DECLARATION_FIELDS}, "team": "\n".join(decl.team)}
    return _form_page(template, case, _declaration_typed(stored), can_edit, case.version)


PROPOSAL_CHOICES: dict[str, Any] = {"bpk_opinions": BPK_OPINIONS, "grades": SAKIP_GRADES,
                    "spip_levels": tuple(range(SPIP_MIN, SPIP_MAX + 1))}


@bp.route("/kasus/<int:case_id>/pengusulan", methods=["GET", "POST"])
@login_required
def proposal_page(case_id: int) -> Any:
    person = _person()
    case = cases.get_case(person, case_id)
    can_edit = (person.role in ("coordinator", "inspectorate")
                and case.state in cases.PROPOSAL_STATES)
    template = "case/proposal.html"
    if request.method == "POST":
        typed = {key: request.form.get(key, "") for key in PROPOSAL_FIELDS}
        return _post_form(
            person, case_id, template, proposal_form, typed,
            lambda data, version: cases.put_proposal(person, case_id, data, version),
            can_edit, _("Syarat pengusulan disimpan."), **PROPOSAL_CHOICES)
    stored = {key: str((case.proposal or {}).get(key, "")) for key in PROPOSAL_FIELDS}
    return _form_page(template, case, stored, can_edit, case.version, **PROPOSAL_CHOICES)
