"""Passwords for people signing in on the pages (issue 8); API tokens stay for machines.

A password is set only through a single-use, expiring link sent by e-mail through the outbox:
an invitation (``invite``, a new user) or a reset (``request_reset``). The link's token is
random and kept only as its SHA-256 (``PasswordLink.token_hash``); the newest link of a user
is the only one open (a new one closes the earlier), and setting a password closes every
open link of that user. Hashes are scrypt (werkzeug.security).

A reset asked for an address nobody has does nothing, and answers as for a known one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.clock import as_utc, utcnow
from workflow.db import db
from workflow.errors import InvalidInput
from workflow.models import PasswordLink, User
from workflow.notices import enqueue
from workflow.permissions import require_role

INVITE_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=2)
MIN_LENGTH = 10
MAX_LENGTH = 256  # a longer "password" is a denial of service on the hash, not a password
HASH_METHOD = "scrypt"
LINK_PATH = "/sandi/"  # the page that sets the password (web.signin); PUBLIC_BASE_URL + this


class LinkRefused(InvalidInput):
    """A password link that is unknown, used, expired, or whose user is deactivated."""

    code = "password_link_invalid"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """Checked when the e-mail is unknown, so a wrong address takes as long as a wrong
    password: the answer's timing does not tell whether the address exists."""
    return hash_password(secrets.token_urlsafe(16))


def check_strength(password: str, field: str = "password") -> None:
    """A 400 naming ``field`` when the password is too short (or absurdly long)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {MIN_LENGTH} karakter",
                           f"The password needs at least {MIN_LENGTH} characters",
                           code="weak_password", errors={field: ["min"]})
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Kata sandi paling panjang {MAX_LENGTH} karakter",
                           f"The password may have at most {MAX_LENGTH} characters",
                           code="weak_password", errors={field: ["max"]})


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (whatever the reason)."""
    address = email.strip().lower()
    user = db.session.execute(select(User).where(User.email == address)).scalar_one_or_none()
    stored = user.password_hash if user is not None else None
    matches = check_password_hash(stored or _decoy_hash(), password[:MAX_LENGTH + 1])
    if user is None or stored is None or not matches or not user.active:
        return None
    return user


def _close_open_links(user: User, now: datetime) -> None:
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))


def _send_link(user: User, purpose: str, template: str, ttl: timedelta,
               now: datetime) -> None:
    """Close the user's earlier links, make a new one and queue its e-mail; caller commits."""
    _close_open_links(user, now)
    token = secrets.token_urlsafe(32)
    link = PasswordLink(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                        created_at=now, expires_at=now + ttl)
    db.session.add(link)
    db.session.flush()
    enqueue([user], template, {"link": LINK_PATH + token, "name": user.name,
                               "email": user.email, "role": user.role,
                               "expires_at": link.expires_at.isoformat()},
            key=f"password_link:{link.id}")


def invite(actor: User | None, user: User, now: datetime | None = None) -> None:
    """E-mail ``user`` a link to set their password (7 days); ``actor`` None: the console."""
    if actor is not None:
        require_role(actor, ("admin",))
    if not user.active:
        raise InvalidInput("Pengguna nonaktif tidak dapat diundang",
                           "A deactivated user cannot be invited", code="user_inactive")
    _send_link(user, "invite", "invitation", INVITE_TTL, now or utcnow())
    db.session.commit()


def invite_new_user(actor: User | None, email: str, role: str, unit_ids: Sequence[int] = (),
                    instansi_id: int | None = None, name: str = "", language: str = "id",
                    daily_digest: bool = False, now: datetime | None = None) -> User:
    """Create a user (checked as by ``zi user add``; no API token) and invite them, in one
    transaction."""
    from workflow.directory import add_user

    if actor is not None:
        require_role(actor, ("admin",))
    user = add_user(email, role, unit_ids, instansi_id, name, language, daily_digest)
    _send_link(user, "invite", "invitation", INVITE_TTL, now or utcnow())
    db.session.commit()
    return user


def request_reset(email: str, now: datetime | None = None) -> None:
    """E-mail a reset link (2 hours) to the active user of that address; for an unknown or
    malformed address, nothing, and no difference the caller could see."""
    address = email.strip().lower()
    user = db.session.execute(
        select(User).where(User.email == address, User.active.is_(True))
    ).scalar_one_or_none() if 0 < len(address) <= 254 else None
    if user is None:
        return
    _send_link(user, "reset", "password_reset", RESET_TTL, now or utcnow())
    db.session.commit()


def open_link(token: str, now: datetime | None = None) -> PasswordLink:
    """The link of ``token`` if it can still set a password, else ``LinkRefused``."""
    link = db.session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == _digest(token))
    ).scalar_one_or_none() if 0 < len(token) <= 100 else None
    if link is None or not link.user.active:
        raise LinkRefused("Tautan tidak dikenal", "Unknown link", code="password_link_unknown")
    if link.used_at is not None:
        raise LinkRefused("Tautan ini sudah dipakai", "This link has already been used",
                          code="password_link_used")
    if as_utc(link.expires_at) <= (now or utcnow()):
        raise LinkRefused("Tautan ini sudah kedaluwarsa", "This link has expired",
                          code="password_link_expired")
    return link


def set_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the password through a link, which is used up (one use, even in a race), with
    every other open link of the user; one transaction."""
    moment = now or utcnow()
    check_strength(password)
    link = open_link(token, moment)
    claimed = db.session.execute(
        update(PasswordLink).where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=moment).execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 0) != 1:  # another request used it first
        db.session.rollback()
        raise LinkRefused("Tautan ini sudah dipakai", "This link has already been used",
                          code="password_link_used")
    user = link.user
    _close_open_links(user, moment)
    user.password_hash = hash_password(password)
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in person changes their password, knowing the current one."""
    if not user.password_hash or not check_password_hash(user.password_hash,
                                                         current[:MAX_LENGTH + 1]):
        raise InvalidInput("Kata sandi saat ini salah", "The current password is wrong",
                           code="wrong_password", errors={"current_password": ["wrong"]})
    check_strength(new, "new_password")
    user.password_hash = hash_password(new)
    _close_open_links(user, utcnow())
    db.session.commit()


def set_language(user: User, language: str) -> None:
    if language not in ("id", "en"):
        raise InvalidInput("Bahasa tidak dikenal", "Unknown language",
                           errors={"language": ["id | en"]})
    user.language = language
    db.session.commit()
