"""Integration tokens: how PortalRB (KemenPANRB) identifies an instansi when it pulls.

One or more per instansi, each with an expiry, revocable; stored as their SHA-256 and shown
once. They open ``/api/portalrb`` only: a user's token is refused there, and these are
refused everywhere else (they live in a table of their own, so neither lookup finds the
other kind).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from workflow.clock import as_utc, utcnow
from workflow.db import db
from workflow.directory import hash_token
from workflow.errors import Conflict, InvalidInput, NotFound
from workflow.models import Instansi, IntegrationToken

PREFIX = "zirb_"  # recognisable in logs and secret scanners; never a user's token


def add(instansi_id: int, ttl_days: int, name: str = "",
        now: datetime | None = None) -> tuple[IntegrationToken, str]:
    """A new token for the instansi; returns the row and the token (shown once). Commits."""
    errors: dict[str, list[str]] = {}
    if db.session.get(Instansi, instansi_id) is None:
        errors["instansi"] = [f"instansi {instansi_id} tidak ada / does not exist"]
    if not 1 <= ttl_days <= 3660:
        errors["days"] = ["harus 1 sampai 3660 hari / must be 1 to 3660 days"]
    if len(name) > 100:
        errors["name"] = ["paling banyak 100 karakter / at most 100 characters"]
    if errors:
        raise InvalidInput("Token integrasi tidak valid", "Invalid integration token",
                           errors=errors)
    issued = now or utcnow()
    token = PREFIX + secrets.token_urlsafe(32)
    row = IntegrationToken(instansi_id=instansi_id, name=name, token_hash=hash_token(token),
                           created_at=issued, expires_at=issued + timedelta(days=ttl_days))
    db.session.add(row)
    db.session.commit()
    return row, token


def list_tokens(instansi_id: int | None = None) -> list[IntegrationToken]:
    query = select(IntegrationToken).order_by(IntegrationToken.id)
    if instansi_id is not None:
        query = query.where(IntegrationToken.instansi_id == instansi_id)
    return list(db.session.execute(query).scalars())


def revoke(token_id: int, now: datetime | None = None) -> IntegrationToken:
    """Revoke at once; the row stays, so past fetches still name their token. Commits."""
    row = db.session.get(IntegrationToken, token_id)
    if row is None:
        raise NotFound(f"Token integrasi {token_id} tidak ditemukan",
                       f"Integration token {token_id} not found")
    if row.revoked_at is not None:
        raise Conflict(f"Token integrasi {token_id} sudah dicabut",
                       f"Integration token {token_id} is already revoked",
                       code="token_already_revoked")
    row.revoked_at = now or utcnow()
    db.session.commit()
    return row


def status(row: IntegrationToken, now: datetime | None = None) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if as_utc(row.expires_at) <= (now or utcnow()) else "active"


def authenticate(token: str, now: datetime | None = None) -> IntegrationToken | None:
    """The active (unexpired, unrevoked) integration token, or None."""
    if not token.startswith(PREFIX):
        return None
    row = db.session.execute(
        select(IntegrationToken).where(IntegrationToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or status(row, now) != "active":
        return None
    return row
