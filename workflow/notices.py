"""Who is told about a change, written to the outbox in the change's own transaction.

Rendering and delivery are the notifications package's job; here we only decide the
recipients, the template and its context, and a key that makes a second write impossible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from workflow.db import db
from workflow.models import OutboxMessage, Unit, User, user_unit

# DOMAIN.md: the inspectorate learns a unit was submitted; the unit learns it was returned
# (with the reason) or designated; TPN learns a proposal awaits review.
TRANSITION_AUDIENCE: dict[str, tuple[str, ...]] = {
    "start_building": ("inspectorate",),
    "submit_to_tpi": ("inspectorate",),
    "tpi_approve": ("coordinator", "tpn"),
    "tpi_return": ("coordinator",),
    "designate": ("coordinator", "inspectorate"),
    "tpn_return": ("coordinator", "inspectorate"),
    "revoke": ("coordinator", "inspectorate"),
    "withdraw": ("coordinator", "inspectorate"),
}


def audience(unit: Unit, roles: Iterable[str]) -> list[User]:
    """Active users of the given roles concerned by a unit, in one query."""
    wanted = set(roles)
    clauses: list[ColumnElement[bool]] = []
    if "coordinator" in wanted:
        clauses.append((User.role == "coordinator")
                       & User.id.in_(select(user_unit.c.user_id)
                                     .where(user_unit.c.unit_id == unit.id)))
    if "inspectorate" in wanted:
        clauses.append((User.role == "inspectorate") & (User.instansi_id == unit.instansi_id))
    if "tpn" in wanted:
        clauses.append(User.role == "tpn")
    if not clauses:
        return []
    query = select(User).where(User.active.is_(True), or_(*clauses)).order_by(User.id)
    return list(db.session.execute(query).scalars())


def enqueue(users: Iterable[User], template: str, context: dict[str, Any], key: str) -> None:
    """One outbox row per user; ``key`` identifies the occasion (e.g. an audit event)."""
    for user in users:
        db.session.add(OutboxMessage(
            idempotency_key=f"{key}:user:{user.id}",
            recipient_user_id=user.id,
            recipient_email=user.email,
            language=user.language,
            template=template,
            context=context,
        ))
