"""Access that can be taken back (issue 9): users deactivated and reactivated, roles and
scopes changed, tokens listed, revoked and reissued. A deactivated user's tokens and a
revoked token stop at the caller's next request (``directory.authenticate`` checks both).

Every user written here or by ``directory.create_user`` passes ``check_user``: a real
e-mail address, and a role whose scope fits it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from workflow.clock import utcnow
from workflow.db import db
from workflow.directory import issue_token
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.models import ApiToken, Instansi, Unit, User
from workflow.permissions import ROLES, require_role


def normalised_email(email: str) -> str:
    """The address as stored (lower case), or a 400 naming ``email``."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as err:
        raise InvalidInput("Alamat email tidak valid", "Invalid e-mail address",
                           errors={"email": [str(err)]}) from err
    return checked.normalized.lower()


def check_user(role: str, unit_ids: Sequence[int], instansi_id: int | None) -> list[Unit]:
    """The units of a role's scope, or a 400 naming each contradiction: a coordinator needs
    units, an inspectorate an instansi (units it also coordinates must lie in it), tpn and
    admin are national and take neither."""
    errors: dict[str, list[str]] = {}
    if role not in ROLES:
        errors["role"] = [f"harus salah satu dari / must be one of: {', '.join(ROLES)}"]
    units = [db.session.get(Unit, unit_id) for unit_id in unit_ids]
    if any(unit is None for unit in units):
        errors["unit"] = ["unit tidak ada / unit does not exist"]
    found = [unit for unit in units if unit is not None]
    if instansi_id is not None and db.session.get(Instansi, instansi_id) is None:
        errors["instansi"] = [f"instansi {instansi_id} tidak ada / does not exist"]
    elif role == "inspectorate" and instansi_id is None:
        errors["instansi"] = ["wajib untuk inspektorat / required for the inspectorate"]
    elif role in ("tpn", "admin") and instansi_id is not None:
        errors["instansi"] = [f"peran {role} bersifat nasional / {role} is national: no instansi"]
    if role == "coordinator" and not unit_ids:
        errors["unit"] = ["wajib untuk koordinator / required for a coordinator"]
    elif role in ("tpn", "admin") and unit_ids:
        errors["unit"] = [f"peran {role} tidak mengoordinasi unit / {role} coordinates no unit"]
    elif instansi_id is not None and any(unit.instansi_id != instansi_id for unit in found):
        errors["unit"] = ["unit di luar instansi pengguna / unit outside the user's instansi"]
    if errors:
        raise InvalidInput("Data pengguna tidak valid", "Invalid user data", errors=errors)
    return found


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"Pengguna {user_id} tidak ditemukan", f"User {user_id} not found")
    return user


def find_user(reference: str) -> User:
    """A user by id or e-mail address (the CLI's argument)."""
    if reference.isdigit():
        return _user(int(reference))
    user = db.session.execute(
        select(User).where(User.email == reference.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NotFound(f"Pengguna {reference} tidak ditemukan", f"User {reference} not found")
    return user


def list_users(actor: User | None) -> list[User]:
    """Every user with their units and instansi, in one query (``actor`` None: an operator
    at the console)."""
    if actor is not None:
        require_role(actor, ("admin",))
    return list(db.session.execute(
        select(User).options(joinedload(User.units), joinedload(User.instansi))
        .order_by(User.id)).unique().scalars())


def set_active(actor: User | None, user_id: int, active: bool) -> User:
    """Deactivate (every token stops at once) or reactivate a user; an admin cannot lock
    themself out."""
    if actor is not None:
        require_role(actor, ("admin",))
    user = _user(user_id)
    if actor is not None and user.id == actor.id and not active:
        raise Conflict("Admin tidak dapat menonaktifkan dirinya sendiri",
                       "An admin cannot deactivate themself", code="self_deactivation")
    user.active = active
    db.session.commit()
    return user


def set_role(actor: User | None, user_id: int, role: str, unit_ids: Sequence[int],
             instansi_id: int | None) -> User:
    """Give a user a new role with the scope it needs (checked as at creation)."""
    if actor is not None:
        require_role(actor, ("admin",))
    user = _user(user_id)
    units = check_user(role, unit_ids, instansi_id)
    user.role, user.instansi_id, user.units = role, instansi_id, units
    db.session.commit()
    return user


def list_tokens(actor: User | None, user_id: int | None = None) -> list[ApiToken]:
    """Tokens (never their value: only its hash is kept), newest first."""
    if actor is not None:
        require_role(actor, ("admin",))
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == _user(user_id).id)
    return list(db.session.execute(query).scalars())


def revoke_token(actor: User | None, token_id: int, now: datetime | None = None) -> ApiToken:
    if actor is not None:
        require_role(actor, ("admin",))
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Token {token_id} tidak ditemukan", f"Token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    db.session.commit()
    return token


def revoke_all(user: User, now: datetime | None = None) -> int:
    """Revoke every live token of the user; the caller commits."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_user_tokens(actor: User | None, user_id: int, now: datetime | None = None) -> int:
    """Revoke every live token of a user (they stop at the next request); how many."""
    if actor is not None:
        require_role(actor, ("admin",))
    revoked = revoke_all(_user(user_id), now)
    db.session.commit()
    return revoked


def reissue_token(actor: User | None, user_id: int, ttl_days: int,
                  now: datetime | None = None) -> tuple[User, str]:
    """Revoke the user's tokens and issue one new (returned once, stored hashed)."""
    if actor is not None:
        require_role(actor, ("admin",))
    user = _user(user_id)
    revoke_all(user, now)
    token = issue_token(user, ttl_days, now)
    db.session.commit()
    return user, token
