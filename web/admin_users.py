"""Admin pages for users (``/admin/pengguna…``): the list, an invitation, role and scope,
deactivation, API tokens. Every change calls a ``workflow.access`` / ``workflow.passwords``
use case, which checks the admin role itself; other roles get the 403 page.

Units are written as their codes within the chosen instansi (``U1, U2``): a national
deployment has too many units for a list of checkboxes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from web import bp
from web.errors import message_of
from web.home import MENU, N_
from web.session import current_person, login_required
from workflow import access, passwords
from workflow.directory import list_instansi, units_by_code
from workflow.errors import Conflict, InvalidInput
from workflow.models import User
from workflow.permissions import ROLES, require_role

F = TypeVar("F", bound=Callable[..., Any])
MENU.append((("admin",), N_("Pengguna"), lambda: url_for("web.admin_users")))
#: the use cases' field names → the form's
FIELDS = {"unit": "units", "instansi": "instansi", "role": "role", "email": "email"}


def admin_required(view: F) -> F:
    """Signed in (else the sign-in page) and an admin (else the 403 page)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_role(_me(), ("admin",))
        return view(*args, **kwargs)

    return cast(F, login_required(wrapper))


def _me() -> User:
    person = current_person()
    assert person is not None  # login_required
    return person


def in_language(text: str) -> str:
    """The half of a bilingual ``"indonesia / english"`` message for the page's language."""
    if " / " not in text:
        return text
    indonesian, english = text.split(" / ", 1)
    return english if str(get_locale()) == "en" else indonesian


def field_errors(error: InvalidInput) -> dict[str, str]:
    errors = {FIELDS.get(name, name): "; ".join(in_language(item) for item in items)
              for name, items in (error.errors or {}).items()}
    return errors or {"_form": message_of(error)}


def _scope(form: dict[str, str]) -> tuple[str, list[int], int | None, dict[str, str]]:
    """Role, unit ids and instansi from the form, or field errors."""
    errors: dict[str, str] = {}
    role = form.get("role", "")
    instansi_text = form.get("instansi", "")
    instansi_id = int(instansi_text) if instansi_text.isdigit() and len(instansi_text) < 10 \
        else None
    codes = [code for code in re.split(r"[\s,;]+", form.get("units", "")) if code]
    unit_ids: list[int] = []
    if codes and instansi_id is None:
        errors["units"] = _("Pilih instansi unit-unit ini.")
    elif codes and instansi_id is not None:
        unit_ids, missing = units_by_code(instansi_id, codes)
        if missing:
            errors["units"] = _("Kode unit tidak dikenal di instansi ini: %(codes)s",
                                codes=", ".join(missing))
    return role, unit_ids, instansi_id, errors


def _form_page(template: str, form: dict[str, str], errors: dict[str, str], status: int,
               **extra: Any) -> Any:
    return render_template(template, form=form, errors=errors, roles=ROLES,
                           instansi=list_instansi(_me()), **extra), status


@bp.route("/admin/pengguna")
@admin_required
def admin_users() -> Any:
    return render_template("admin_users/list.html", users=access.list_users(_me()))


@bp.route("/admin/pengguna/baru", methods=["GET", "POST"])
@admin_required
def admin_user_invite() -> Any:
    """Invite a new user: created without an API token, e-mailed a link to set a password."""
    if request.method == "GET":
        return _form_page("admin_users/invite.html", {"language": "id"}, {}, 200)
    form = {key: request.form.get(key, "").strip() for key in
            ("email", "name", "role", "instansi", "units", "language")}
    role, unit_ids, instansi_id, errors = _scope(form)
    if not errors:
        try:
            user = passwords.invite_new_user(
                _me(), form["email"], role, unit_ids, instansi_id, form["name"][:200],
                form["language"] if form["language"] in ("id", "en") else "id")
        except InvalidInput as err:
            errors = field_errors(err)
        except Conflict as err:
            errors = {"email": message_of(err)}
        else:
            flash(_("Undangan untuk %(email)s masuk antrean e-mail.", email=user.email),
                  "success")
            return redirect(url_for("web.admin_user", user_id=user.id))
    return _form_page("admin_users/invite.html", form, errors, 400)


def _detail(user_id: int, form: dict[str, str] | None = None,
            errors: dict[str, str] | None = None, status: int = 200) -> Any:
    user = access.find_user(str(user_id))
    if form is None:
        codes = ", ".join(unit.code for unit in sorted(user.units, key=lambda u: u.code))
        form = {"role": user.role, "instansi": str(user.instansi_id or ""), "units": codes}
    return _form_page("admin_users/detail.html", form, errors or {}, status, user=user,
                      tokens=access.list_tokens(_me(), user.id))


@bp.route("/admin/pengguna/<int:user_id>")
@admin_required
def admin_user(user_id: int) -> Any:
    return _detail(user_id)


@bp.route("/admin/pengguna/<int:user_id>/peran", methods=["POST"])
@admin_required
def admin_user_role(user_id: int) -> Any:
    form = {key: request.form.get(key, "").strip() for key in ("role", "instansi", "units")}
    role, unit_ids, instansi_id, errors = _scope(form)
    if not errors:
        try:
            access.set_role(_me(), user_id, role, unit_ids, instansi_id)
        except InvalidInput as err:
            errors = field_errors(err)
        else:
            flash(_("Peran dan cakupan disimpan."), "success")
            return redirect(url_for("web.admin_user", user_id=user_id))
    return _detail(user_id, form, errors, 400)


@bp.route("/admin/pengguna/<int:user_id>/aktif", methods=["POST"])
@admin_required
def admin_user_active(user_id: int) -> Any:
    active = request.form.get("active") == "1"
    try:
        access.set_active(_me(), user_id, active)
    except Conflict as err:
        flash(message_of(err), "error")
    else:
        flash(_("Pengguna diaktifkan.") if active else
              _("Pengguna dinonaktifkan: token API dan sesinya berhenti."), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/pengguna/<int:user_id>/undang", methods=["POST"])
@admin_required
def admin_user_reinvite(user_id: int) -> Any:
    """A new link to set a password (the earlier one stops working)."""
    try:
        passwords.invite(_me(), access.find_user(str(user_id)))
    except InvalidInput as err:
        flash(message_of(err), "error")
    else:
        flash(_("Tautan baru untuk membuat kata sandi masuk antrean e-mail."), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/pengguna/<int:user_id>/token/cabut", methods=["POST"])
@admin_required
def admin_user_revoke_tokens(user_id: int) -> Any:
    count = access.revoke_user_tokens(_me(), user_id)
    flash(_("%(count)s token API dicabut.", count=count), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))


@bp.route("/admin/pengguna/<int:user_id>/token/<int:token_id>/cabut", methods=["POST"])
@admin_required
def admin_user_revoke_token(user_id: int, token_id: int) -> Any:
    if token_id not in {token.id for token in access.list_tokens(_me(), user_id)}:
        flash(_("Token itu bukan milik pengguna ini."), "error")
    else:
        access.revoke_token(_me(), token_id)
        flash(_("Token API dicabut."), "success")
    return redirect(url_for("web.admin_user", user_id=user_id))
