"""Beranda: what needs the signed-in person, by role; the menu of every page."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from notifications import outbox
from web import bp
from web.session import current_person, login_required
from workflow import inbox


def N_(text: str) -> str:
    """Marks a text for the catalogs where it is defined; translated where it is shown."""
    return text


ROLE_LABELS = {"coordinator": N_("Koordinator unit"), "inspectorate": N_("Inspektorat (TPI)"),
               "tpn": N_("Tim Penilai Nasional (TPN)"), "admin": N_("Admin")}


@bp.app_context_processor
def page_globals() -> dict[str, Any]:
    """The menu and labels every page's layout uses."""
    return {"nav_items": nav_items(), "role_label": role_label, "get_locale": get_locale}


def role_label(role: str) -> str:
    return _(ROLE_LABELS.get(role, role))


def nav_items() -> list[dict[str, str]]:
    """The menu of the signed-in person's role (modules add theirs in ``MENU``)."""
    person = current_person()
    if person is None:
        return []
    return [{"label": _(label), "url": url()} for roles, label, url in MENU
            if person.role in roles]


#: (roles, label, url factory): each page module appends its entries.
MENU: list[tuple[tuple[str, ...], str, Any]] = []


#: Shortcuts an admin gets on Beranda: (label, path) of the admin pages.
ADMIN_SHORTCUTS = ((N_("Pengguna"), "/admin/pengguna"), (N_("Instansi"), "/admin/instansi"),
                   (N_("Unit kerja"), "/admin/unit"), (N_("Dokumentasi API"), "/api/docs"))


@bp.route("/")
@login_required
def home() -> Any:
    """What needs the signed-in person, by role; each list one bounded query."""
    person = current_person()
    assert person is not None
    lists: dict[str, Any] = {}
    if person.role == "coordinator":
        lists = {"cases": inbox.coordinator_cases(person),
                 "flagged": inbox.flagged_questions(person),
                 "duties": inbox.duties_coming_due(person),
                 "due_within_days": inbox.DUE_WITHIN_DAYS}
    elif person.role == "inspectorate":
        lists = {"cases": inbox.waiting_for_tpi(person),
                 "duties": inbox.duties_to_acknowledge(person)}
    elif person.role == "tpn":
        lists = {"cases": inbox.waiting_for_tpn(person)}
    elif person.role == "admin":
        lists = {"failed_deliveries": outbox.count_messages(outbox.NEEDS_AN_OPERATOR),
                 "shortcuts": [(_(label), path) for label, path in ADMIN_SHORTCUTS]}
    return render_template("home/index.html", person=person, limit=inbox.LIMIT, **lists)
