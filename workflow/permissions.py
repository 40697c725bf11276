"""Who may see and act on what (DOMAIN.md: Roles in the system).

coordinator: own units; inspectorate: own instansi, never a unit it coordinates; tpn: every
unit; admin: everything to manage, no workflow decisions.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflow.case_record import UnitRecord
from workflow.errors import Forbidden
from workflow.models import Unit, User

ROLES = ("coordinator", "inspectorate", "tpn", "admin")


def can_view_unit(user: User, unit: Unit | UnitRecord, coordinates: bool | None = None) -> bool:
    """``coordinates``: whether the user coordinates the unit, when the caller already knows
    (read with the case row); else it is looked up in the user's units."""
    if user.role in ("admin", "tpn"):
        return True
    if user.role == "inspectorate":
        return unit.instansi_id == user.instansi_id
    return unit.id in user.unit_ids if coordinates is None else coordinates


def require_role(user: User, roles: Iterable[str]) -> None:
    allowed = tuple(roles)
    if user.role not in allowed:
        names = ", ".join(allowed)
        raise Forbidden(f"Peran {user.role} tidak berwenang; hanya: {names}",
                        f"Role {user.role} may not do this; only: {names}",
                        code="forbidden_for_role")


def require_view(user: User, unit: Unit | UnitRecord, coordinates: bool | None = None) -> None:
    if not can_view_unit(user, unit, coordinates):
        raise Forbidden("Unit di luar cakupan Anda", "The unit is outside your scope",
                        code="out_of_scope")


def require_act(user: User, unit: Unit | UnitRecord, roles: Iterable[str],
                coordinates: bool | None = None) -> None:
    """Role, then scope; an inspector never decides on a unit they coordinate."""
    require_role(user, roles)
    require_view(user, unit, coordinates)
    if user.role == "inspectorate" and (
            unit.id in user.unit_ids if coordinates is None else coordinates):
        raise Forbidden("Anda koordinator unit ini; tidak boleh menilai unit sendiri",
                        "You coordinate this unit; no one assesses their own unit",
                        code="conflict_of_interest")
