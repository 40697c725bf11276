"""A small demo instansi so that the README's walk-through works on a fresh checkout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from workflow import cases, directory
from workflow.access import revoke_all
from workflow.clock import jakarta_date, utcnow
from workflow.db import db
from workflow.models import Case, Instansi, User

DEMO_INSTANSI = "Kementerian Demo Zona Integritas"
DEMO_USERS = (
    ("admin@demo.zi.go.id", "admin", "ADMIN"),
    ("koordinator@demo.zi.go.id", "coordinator", "COORDINATOR"),
    ("inspektorat@demo.zi.go.id", "inspectorate", "INSPECTORATE"),
    ("tpn@demo.zi.go.id", "tpn", "TPN"),
)


def _build() -> None:
    admin, _ = directory.create_user(DEMO_USERS[0][0], "admin", name="Admin Demo")
    instansi = directory.create_instansi(admin, DEMO_INSTANSI, "kementerian")
    kantor = directory.create_unit(
        admin, instansi_id=instansi.id, name="Kantor Pelayanan Demo", code="KPD",
        eselon=3, strategic_service=True, rb_implemented=True, large_resources=True)
    balai = directory.create_unit(
        admin, instansi_id=instansi.id, name="Balai Demo", code="BD",
        eselon=3, strategic_service=True, rb_implemented=True, large_resources=True)
    coordinator, _ = directory.create_user(DEMO_USERS[1][0], "coordinator",
                                           [kantor.id, balai.id], instansi.id,
                                           name="Koordinator Demo")
    directory.create_user(DEMO_USERS[2][0], "inspectorate", (), instansi.id,
                          name="Inspektorat Demo")
    directory.create_user(DEMO_USERS[3][0], "tpn", name="TPN Demo")
    year = jakarta_date(utcnow()).year
    cases.open_case(admin, kantor.id, "WBK", year, "permenpanrb-52-2014")
    balai_case = cases.open_case(admin, balai.id, "WBK", year, "permenpanrb-90-2021")
    cases.put_declaration(coordinator, balai_case.id, {
        "staff_total": 40, "pakta_signed": 38, "head_signed": True,
        "commitment_statement": "Kami berkomitmen membangun Zona Integritas.",
        "team": ["Ketua Tim", "Sekretaris", "Anggota"]}, balai_case.version)
    cases.fire_transition(coordinator, balai_case.id, "start_building", balai_case.version)
    # Demo data only: the 90/2021 case has been building for over a year, as it requires.
    balai_case.building_since = jakarta_date(utcnow() - timedelta(days=400))
    db.session.commit()


def load_demo(ttl_days: int) -> list[str]:
    """Create the demo once; every call revokes the demo users' tokens and prints fresh ones
    as shell exports."""
    if db.session.execute(select(Instansi).where(Instansi.name == DEMO_INSTANSI)).first() is None:
        _build()
    lines = []
    for email, _role, label in DEMO_USERS:
        demo_user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        revoke_all(demo_user)  # the tokens printed by an earlier run stop working
        token = directory.issue_token(demo_user, ttl_days)
        lines.append(f"export ZI_{label}_TOKEN={token}  # {email}")
    db.session.commit()
    demo_case = db.session.execute(
        select(Case.id).join(Case.unit).join(Instansi)
        .where(Instansi.name == DEMO_INSTANSI).order_by(Case.id).limit(1)).scalar_one()
    lines.append(f"export ZI_CASE={demo_case}")
    return lines
