"""The signed-in person's own account (``/akun``): the language of the pages and e-mails,
and a new password (knowing the current one)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import bp
from web.errors import message_of
from web.home import MENU, N_
from web.session import current_person, login_required, sign_in_as
from web.signin import client_address, too_many
from web.throttle import throttle
from workflow import passwords
from workflow.errors import InvalidInput
from workflow.models import User

LANGUAGE_LABELS = (("id", "Bahasa Indonesia"), ("en", "English"))
MENU.append((("coordinator", "inspectorate", "tpn", "admin"), N_("Akun"),
             lambda: url_for("web.account")))


def _me() -> User:
    person = current_person()
    assert person is not None  # login_required
    return person


def _page(errors: dict[str, str] | None = None, status: int = 200) -> Any:
    return render_template("account/index.html", languages=LANGUAGE_LABELS,
                           errors=errors or {}), status


@bp.route("/akun")
@login_required
def account() -> Any:
    return _page()


@bp.route("/akun/bahasa", methods=["POST"])
@login_required
def account_language() -> Any:
    try:
        passwords.set_language(_me(), request.form.get("language", ""))
    except InvalidInput as err:
        return _page({"language": message_of(err)}, 400)
    flash(_("Bahasa disimpan."), "success")
    return redirect(url_for("web.account"))


@bp.route("/akun/sandi", methods=["POST"])
@login_required
def account_password() -> Any:
    """A wrong current password counts as a failed sign-in (a borrowed session cannot guess
    it freely)."""
    me, address = _me(), client_address()
    wait = throttle().wait(address, me.email)
    if wait:
        return too_many(wait)
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_confirm", ""):
        return _page({"new_password_confirm": _("Kedua kata sandi tidak sama.")}, 400)
    try:
        passwords.change_password(me, request.form.get("current_password", ""), new)
    except InvalidInput as err:
        if err.code == "wrong_password":
            throttle().failed(address, me.email)
        field = next(iter(err.errors or {"new_password": []}))
        return _page({field: message_of(err)}, 400)
    sign_in_as(me)  # this session goes on; the others, begun with the old password, end
    flash(_("Kata sandi diganti."), "success")
    return redirect(url_for("web.account"))
