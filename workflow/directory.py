"""Instansi, units, users and their tokens: what admins manage and everyone is scoped by."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError

from workflow.clock import utcnow
from workflow.db import db
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.lke import portalrb_feed
from workflow.models import ApiToken, Instansi, Unit, User, user_unit
from workflow.permissions import require_role, require_view

INSTANSI_KINDS = ("kementerian", "lembaga", "pemda")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, ttl_days: int, now: datetime | None = None) -> str:
    """A new random token for the user; only its hash is kept. Caller commits."""
    token = secrets.token_urlsafe(32)
    issued = now or utcnow()
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), created_at=issued,
                            expires_at=issued + timedelta(days=ttl_days)))
    return token


@cache
def _token_owner() -> Select[User]:
    """The statement of :func:`authenticate`, built once per process (every API request
    runs it)."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("b_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("b_now"), User.active.is_(True)))


def authenticate(token: str, now: datetime | None = None) -> User | None:
    """The active user owning an unexpired, unrevoked token, or None (one indexed lookup)."""
    user: User | None = db.session.execute(
        _token_owner(), {"b_hash": hash_token(token), "b_now": now or utcnow()}
    ).scalar_one_or_none()
    return user


def _commit_unique(message_id: str, message_en: str, code: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict(message_id, message_en, code=code) from err


def add_user(email: str, role: str, unit_ids: Sequence[int] = (),
             instansi_id: int | None = None, name: str = "", language: str = "id",
             daily_digest: bool = False) -> User:
    """A new user, checked (``access.check_user``) and flushed; the caller commits."""
    from workflow.access import check_user, normalised_email  # access builds on this module

    address = normalised_email(email)
    units = check_user(role, unit_ids, instansi_id)
    user = User(email=address, role=role, instansi_id=instansi_id, name=name,
                language=language, daily_digest=daily_digest, units=units)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict(f"Email {email} sudah terdaftar", f"Email {email} is already registered",
                       code="email_taken") from err
    return user


def create_user(email: str, role: str, unit_ids: Sequence[int] = (),
                instansi_id: int | None = None, name: str = "", language: str = "id",
                ttl_days: int = 365, daily_digest: bool = False) -> tuple[User, str]:
    """Create a user and their first token (returned once, stored hashed)."""
    user = add_user(email, role, unit_ids, instansi_id, name, language, daily_digest)
    token = issue_token(user, ttl_days)
    db.session.commit()
    return user, token


def create_instansi(actor: User, name: str, kind: str) -> Instansi:
    require_role(actor, ("admin",))
    instansi = Instansi(name=name, kind=kind)
    db.session.add(instansi)
    _commit_unique(f"Instansi {name} sudah ada", f"Instansi {name} already exists",
                   "instansi_exists")
    return instansi


def _visible_instansi_ids(actor: User) -> Any:
    """None for every instansi, else a subquery of the instansi the actor may see."""
    if actor.role in ("admin", "tpn"):
        return None
    if actor.role == "inspectorate":
        return select(Instansi.id).where(Instansi.id == actor.instansi_id)
    return (select(Unit.instansi_id)
            .join(user_unit, user_unit.c.unit_id == Unit.id)
            .where(user_unit.c.user_id == actor.id))


def list_instansi(actor: User) -> list[Instansi]:
    query = select(Instansi).order_by(Instansi.id)
    visible = _visible_instansi_ids(actor)
    if visible is not None:
        query = query.where(Instansi.id.in_(visible))
    return list(db.session.execute(query).scalars())


def get_instansi(actor: User, instansi_id: int) -> Instansi:
    instansi = db.session.get(Instansi, instansi_id)
    visible = [i.id for i in list_instansi(actor)] if instansi else []
    if instansi is None or instansi.id not in visible:
        raise NotFound(f"Instansi {instansi_id} tidak ditemukan",
                       f"Instansi {instansi_id} not found")
    return instansi


def create_unit(actor: User, **fields: Any) -> Unit:
    require_role(actor, ("admin",))
    if db.session.get(Instansi, fields["instansi_id"]) is None:
        raise InvalidInput("Instansi tidak ada", "The instansi does not exist",
                           errors={"instansi_id": ["tidak ada / does not exist"]})
    unit = Unit(**fields)
    db.session.add(unit)
    _commit_unique(f"Kode unit {fields['code']} sudah dipakai di instansi ini",
                   f"Unit code {fields['code']} is already used in this instansi", "unit_exists")
    return unit


#: What an admin may change on a unit (the REST PATCH offers name and afirmasi; the admin
#: pages all of them: the code and the seed's eligibility facts too).
UNIT_FIELDS = ("name", "code", "eselon", "strategic_service", "rb_implemented",
               "large_resources", "afirmasi")


def update_unit(actor: User, unit_id: int, changes: dict[str, Any],
                now: datetime | None = None) -> Unit:
    """An admin changes a unit (``UNIT_FIELDS``); if PortalRB fetched one of its proposals,
    the inspectorate is told in the same transaction."""
    require_role(actor, ("admin",))
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"Unit {unit_id} tidak ditemukan", f"Unit {unit_id} not found")
    for key in UNIT_FIELDS:
        if key in changes:
            setattr(unit, key, changes[key])
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        raise Conflict(f"Kode unit {changes.get('code')} sudah dipakai di instansi ini",
                       f"Unit code {changes.get('code')} is already used in this instansi",
                       code="unit_exists") from err
    portalrb_feed.note_unit_change(unit, now or utcnow())
    db.session.commit()
    return unit


def list_units(actor: User, instansi_id: int | None = None) -> list[Unit]:
    query = select(Unit).order_by(Unit.id)
    if instansi_id is not None:
        query = query.where(Unit.instansi_id == instansi_id)
    if actor.role == "inspectorate":
        query = query.where(Unit.instansi_id == actor.instansi_id)
    elif actor.role == "coordinator":
        query = query.where(Unit.id.in_(select(user_unit.c.unit_id)
                                        .where(user_unit.c.user_id == actor.id)))
    return list(db.session.execute(query).scalars())


def units_by_code(instansi_id: int, codes: Sequence[str]) -> tuple[list[int], list[str]]:
    """The ids of the instansi's units with these codes, and the codes no unit has."""
    wanted = [code.strip() for code in codes if code.strip()]
    found: dict[str, int] = {code: unit_id for code, unit_id in db.session.execute(
        select(Unit.code, Unit.id).where(Unit.instansi_id == instansi_id,
                                         Unit.code.in_(wanted)))}
    return [found[code] for code in wanted if code in found], [
        code for code in wanted if code not in found]


def get_unit(actor: User, unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"Unit {unit_id} tidak ditemukan", f"Unit {unit_id} not found")
    require_view(actor, unit)
    return unit
