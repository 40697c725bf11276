"""Sign-in and sign-out for people (skeleton; the sign-in issue work completes it)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from web import bp
from web.session import sign_out as end_session


@bp.route("/masuk", methods=["GET", "POST"])
def sign_in() -> Any:
    return render_template("errors/page.html", title="Masuk", message="Belum tersedia")


@bp.route("/keluar", methods=["POST"])
def sign_out() -> Any:
    end_session()
    return redirect(url_for("web.sign_in"))
