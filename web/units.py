"""The unit page (``/unit/<id>``): the unit and its eligibility facts (read-only), its cases,
and, for whoever may, the form that opens a case (``workflow.cases.open_case``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import bp
from web.errors import message_of
from web.labels import field_errors, unmet_text
from web.session import current_person, login_required
from workflow import cases, directory
from workflow.clock import jakarta_date, utcnow
from workflow.errors import Conflict, GuardFailed, InvalidInput
from workflow.inputs import TARGETS, open_case_form
from workflow.lke.rubric import RUBRIC_IDS
from workflow.models import User

OPENERS = ("coordinator", "admin")
DEFAULT_REGULATION = "permenpanrb-90-2021"


def _page(person: User, unit_id: int, form: Mapping[str, str] | None = None,
          errors: Mapping[str, list[str]] | None = None, refusal: list[str] | None = None,
          status: int = 200) -> Any:
    unit = directory.get_unit(person, unit_id)
    rows = cases.list_cases(person, unit.id)
    typed = dict(form or {"target": "WBK", "year": str(jakarta_date(utcnow()).year),
                          "regulation": DEFAULT_REGULATION})
    return render_template(
        "unit/page.html", unit=unit, cases=rows, can_open=person.role in OPENERS,
        form=typed, errors=errors or {}, refusal=refusal or [], targets=TARGETS,
        regulations=RUBRIC_IDS), status


@bp.route("/unit/<int:unit_id>")
@login_required
def unit_page(unit_id: int) -> Any:
    person = current_person()
    assert person is not None
    return _page(person, unit_id)


@bp.route("/unit/<int:unit_id>/kasus", methods=["POST"])
@login_required
def open_case(unit_id: int) -> Any:
    person = current_person()
    assert person is not None
    form = {key: request.form.get(key, "") for key in ("target", "year", "regulation")}
    data, errors = open_case_form(form)
    if errors:
        return _page(person, unit_id, form, field_errors(errors), status=400)
    try:
        case = cases.open_case(person, unit_id, data["target"], data["year"], data["regulation"])
    except InvalidInput as err:
        return _page(person, unit_id, form, field_errors(err.errors), status=400)
    except GuardFailed as err:
        return _page(person, unit_id, form, refusal=[unmet_text(u) for u in err.unmet],
                     status=422)
    except Conflict as err:
        return _page(person, unit_id, form, refusal=[message_of(err)], status=409)
    flash(_("Kasus dibuka. Lengkapi data pencanangan."), "success")
    return redirect(url_for("web.case_page", case_id=case.id))
