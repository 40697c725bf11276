"""Sign-in for people (issue 8): e-mail and password, sign-out, a forgotten password, and the
page of the single-use link that sets a password (invitation or reset).

Failed sign-ins are throttled per account and per client address (``web.throttle``): over
the limit, 429 with ``Retry-After`` and a page saying how long to wait. A failure says the
same whether the e-mail exists or not; ``next`` is followed only to a path of this site.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import bp
from web.errors import message_of
from web.session import current_person, sign_in_as
from web.session import sign_out as end_session
from web.throttle import throttle
from workflow import passwords
from workflow.errors import InvalidInput


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (``/kasus/3?x=1``), else None: never another
    host (``//evil``, ``https://evil``, ``/\\evil``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def client_address() -> str:
    return request.remote_addr or "-"


def too_many(wait: int) -> Any:
    """429: a page in Indonesian (or the person's language) saying how long to wait."""
    minutes = max(1, math.ceil(wait / 60))
    return render_template(
        "errors/page.html", title=_("Terlalu banyak percobaan"),
        message=_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(minutes)s "
                  "menit.", minutes=minutes),
        back=url_for("web.sign_in")), 429, {"Retry-After": str(wait)}


@bp.route("/masuk", methods=["GET", "POST"])
def sign_in() -> Any:
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_person() is not None:
            return redirect(next_path or url_for("web.home"))
        return render_template("signin/sign_in.html", email="", next_path=next_path)
    email = request.form.get("email", "").strip()
    account = email.lower()
    address = client_address()
    wait = throttle().wait(address, account)
    if wait:
        return too_many(wait)
    user = passwords.authenticate(email, request.form.get("password", ""))
    if user is None:
        throttle().failed(address, account)
        return render_template(
            "signin/sign_in.html", email=email, next_path=next_path,
            error=_("E-mail atau kata sandi salah, atau akun tidak aktif.")), 401
    throttle().forget_account(account)
    sign_in_as(user)
    return redirect(next_path or url_for("web.home"))


@bp.route("/keluar", methods=["POST"])
def sign_out() -> Any:
    end_session()
    return redirect(url_for("web.sign_in"))


@bp.route("/lupa-sandi", methods=["GET", "POST"])
def forgot_password() -> Any:
    """Ask for a reset link; the answer is the same whether the address exists or not. Each
    request counts against the client address, so one address cannot flood inboxes."""
    if request.method == "GET":
        return render_template("signin/forgot.html", email="")
    address = client_address()
    wait = throttle().wait(address)
    if wait:
        return too_many(wait)
    throttle().failed(address)
    passwords.request_reset(request.form.get("email", ""))
    return render_template("signin/forgot_sent.html")


@bp.route("/sandi/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    """The link of an invitation or a reset: choose a password, then signed in."""
    try:
        link = passwords.open_link(token)
    except passwords.LinkRefused as err:
        return render_template("signin/link_refused.html", message=message_of(err)), 410
    purpose = link.purpose
    if request.method == "GET":
        return render_template("signin/set_password.html", purpose=purpose, errors={},
                               email=link.user.email)
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if password != request.form.get("password_confirm", ""):
        errors["password_confirm"] = _("Kedua kata sandi tidak sama.")
    else:
        try:
            user = passwords.set_password(token, password)
        except passwords.LinkRefused as err:
            return render_template("signin/link_refused.html", message=message_of(err)), 410
        except InvalidInput as err:
            errors["password"] = message_of(err)
        else:
            sign_in_as(user)
            flash(_("Kata sandi tersimpan. Anda sudah masuk."), "success")
            return redirect(url_for("web.home"))
    return render_template("signin/set_password.html", purpose=purpose, errors=errors,
                           email=link.user.email), 400
