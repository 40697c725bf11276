"""Who is signed in on a page: the session cookie, CSRF on every form, the page language.

The session keeps only the user's id; the user is read at every request, so a deactivated
user is signed out at their next request. Forms carry Flask-WTF's CSRF token
(``{{ csrf_token() }}``); the API (bearer tokens, no cookies) is not subject to it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, refresh
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

from web import bp
from workflow.db import db
from workflow.models import User
from workflow.settings import key_file

F = TypeVar("F", bound=Callable[..., Any])
SESSION_USER = "user_id"
SESSION_PASSWORD = "password_mark"
LANGUAGES = ("id", "en")

csrf = CSRFProtect()
babel = Babel()


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer built once per set of keys:
    Flask builds one at every request (an API call's too), serialising an empty dict to probe
    its serializer, ~0.05 ms of CPU each time. The keys are read at every request as Flask
    does, so a changed ``SECRET_KEY`` (or its fallbacks) takes effect at once."""

    def __init__(self) -> None:
        self._built: tuple[Any, Any] | None = None  # (keys, serializer), the last only

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]


def install(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = key_file(Path(app.instance_path) / "session.key").read_text(
            ).strip()
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked for pages only, below
    # Set, not defaulted: Flask's own defaults (SameSite None, Secure off) are already there.
    # Secure when the pages are served over HTTPS (the address people are sent to says so).
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(translation_directories()))
    app.session_interface = SessionCookies()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=page_language)


def translation_directories() -> list[str]:
    """One catalog directory per area of pages (``web/translations/<area>/en/…``), merged."""
    root = Path(__file__).parent / "translations"
    return sorted(str(path) for path in root.iterdir() if path.is_dir())


def _load_person() -> None:
    """Before each page: the signed-in person (``g.person``) or None; CSRF on every write."""
    # ``g`` is per request in service; a test holding one app context shares it between
    # requests and clients, so a CSRF token cached there would leak into another session.
    # The same for the locale Flask-Babel caches there: chosen again from this person.
    _forget_cached_token()
    refresh()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
        # a NUL in a form field cannot be stored (PostgreSQL refuses it): 400, not a 500
        if any("\x00" in value for _name, values in request.form.lists() for value in values):
            abort(400, _("Teks berisi karakter NUL yang tidak diizinkan."))
    g.person = None
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        session.clear()  # deactivated: signed out at the next request
        return
    if session.get(SESSION_PASSWORD) != password_mark(user):
        session.clear()  # the password changed since this session began: signed out
        return
    g.person = user


bp.before_request(_load_person)

#: The pages' own policy (the API's JSON keeps ``default-src 'none'``, api.limits): the
#: stylesheet and htmx from this host only, forms posted only here, never framed.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _page_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    return response


bp.after_request(_page_headers)


def current_person() -> User | None:
    return cast(User | None, g.get("person"))


def sign_in_as(user: User) -> None:
    """Start a session for ``user`` (a new session: no fixation)."""
    _clear()
    session[SESSION_USER] = user.id
    session[SESSION_PASSWORD] = password_mark(user)
    session.permanent = True


def password_mark(user: User) -> str | None:
    """A short digest of the user's password hash, kept in the session: a new password (a
    reset after a lost laptop) ends every session begun with the old one."""
    if user.password_hash is None:
        return None
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def sign_out() -> None:
    _clear()


def _clear() -> None:
    """A new session, with a new CSRF token: the one Flask-WTF keeps in ``g`` for this
    request belonged to the old session."""
    session.clear()
    _forget_cached_token()
    refresh()  # the locale too: the next person's


def _forget_cached_token() -> None:
    """Flask-WTF keeps the request's CSRF token in ``g``; drop it so it is made again from
    the session in force."""
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def login_required(view: F) -> F:
    """A page for signed-in people only: others go to the sign-in page, then come back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_person() is None:
            return redirect(url_for("web.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapper)


def page_language() -> str:
    """The signed-in user's language (their setting), else Indonesian."""
    person = current_person()
    if person is not None and person.language in LANGUAGES:
        return person.language
    return "id"
