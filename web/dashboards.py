"""Dashboards: one instansi at a glance for its inspectorate (``/instansi/<id>``) and the
national view for TPN (``/nasional``): every instansi with its cases per state, and this
fiscal year's proposals with links to their case pages.

Each page is a fixed handful of aggregate statements (``workflow.dashboard``), whatever the
number of instansi, units or cases.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from web import bp
from web.home import MENU, N_
from web.labels import state_label
from web.session import current_person, login_required
from workflow.dashboard import instansi_dashboard, national_overview
from workflow.errors import Forbidden
from workflow.machine import STATES as CASE_STATES
from workflow.models import User

TARGETS = ("WBK", "WBBM")

MENU.append((("inspectorate",), N_("Dasbor instansi"), lambda: url_for("web.my_instansi")))
MENU.append((("tpn", "admin"), N_("Nasional"), lambda: url_for("web.national")))


def case_state_label(state: str) -> str:
    """A case state as the case pages and e-mails name it (``web.labels``)."""
    return state_label(state)


def _person() -> User:
    person = current_person()
    assert person is not None  # login_required
    return person


@bp.route("/instansi")
@login_required
def my_instansi() -> Any:
    """The menu's entry: the inspectorate's own instansi; admins choose one."""
    person = _person()
    if person.role == "inspectorate" and person.instansi_id is not None:
        return redirect(url_for("web.instansi_page", instansi_id=person.instansi_id))
    if person.role == "admin":
        return redirect(url_for("web.admin_instansi"))
    raise Forbidden("Halaman ini untuk inspektorat dan admin",
                    "This page is for the inspectorate and admins", code="forbidden_for_role")


@bp.route("/instansi/<int:instansi_id>")
@login_required
def instansi_page(instansi_id: int) -> Any:
    board = instansi_dashboard(_person(), instansi_id)
    counts = {(row["state"], row["target"]): row["count"] for row in board["cases"]}
    targets = list(TARGETS) + sorted({target for _s, target in counts} - set(TARGETS))
    totals: dict[str, int] = {}
    for (state, _target), count in counts.items():
        totals[state] = totals.get(state, 0) + count
    states = [s for s in CASE_STATES if s in totals]
    return render_template("dashboards/instansi.html", board=board, counts=counts,
                           targets=targets, states=states, totals=totals,
                           case_state=case_state_label)


@bp.route("/nasional")
@login_required
def national() -> Any:
    person = _person()
    overview = national_overview(person)
    states = [s for s in CASE_STATES
              if any(s in row["cases"] for row in overview["instansi"])]
    return render_template("dashboards/national.html", overview=overview, states=states,
                           case_state=case_state_label,
                           may_open_instansi=person.role == "admin")
