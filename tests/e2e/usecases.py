"""Setup the browser tests do not walk through: the same use cases the pages call, run in
the test process on the service's database and committed before the browser looks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow import cases, directory
from workflow.clock import jakarta_date, utcnow
from workflow.db import db
from workflow.lke.sheets import worksheet
from workflow.models import Case, User

GOOD_DECLARATION = {"staff_total": 40, "pakta_signed": 30, "head_signed": True,
                    "commitment_statement": "Kami berkomitmen membangun Zona Integritas.",
                    "team": ["Ketua Tim", "Anggota"]}


@dataclass
class People:
    """An instansi with two units and one person of each role (e-mail by name)."""

    tag: str
    instansi_name: str
    instansi_id: int
    unit_id: int
    other_unit_id: int
    emails: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def user(self, who: str) -> User:
        found = db.session.get(User, self.ids[who])
        assert found is not None
        return found


def unit_facts() -> dict[str, Any]:
    return {"eselon": 3, "strategic_service": True, "rb_implemented": True,
            "large_resources": True}


NAMES = {"admin": "Admin Kementerian", "coordinator": "Sari Wulandari",
         "other_coordinator": "Agus Pratama", "inspectorate": "Budi Santoso",
         "tpn": "Dewi Lestari"}


def make_people(tag: str) -> People:
    """A fresh instansi ``Kementerian Uji <tag>`` with units and people of its own, so that
    tests sharing the service's database never share a case."""
    admin, _ = directory.create_user(f"admin.{tag}@uji.go.id", "admin", name=NAMES["admin"])
    instansi = directory.create_instansi(admin, f"Kementerian Uji {tag}", "kementerian")
    unit = directory.create_unit(admin, instansi_id=instansi.id,
                                 name="Kantor Pelayanan Pratama Sukamaju", code="KPP-01",
                                 **unit_facts())
    other = directory.create_unit(admin, instansi_id=instansi.id, name="Balai Diklat Sukamaju",
                                  code="BD-01", **unit_facts())
    people = People(tag, instansi.name, instansi.id, unit.id, other.id)
    people.emails["admin"], people.ids["admin"] = admin.email, admin.id
    for who, role, units, instansi_id in (
            ("coordinator", "coordinator", [unit.id], instansi.id),
            ("other_coordinator", "coordinator", [other.id], instansi.id),
            ("inspectorate", "inspectorate", [], instansi.id),
            ("tpn", "tpn", [], None)):
        user, _ = directory.create_user(f"{who}.{tag}@uji.go.id", role, units, instansi_id,
                                        name=NAMES[who])
        people.emails[who], people.ids[who] = user.email, user.id
    db.session.commit()
    return people


def this_year() -> int:
    return jakarta_date(utcnow()).year


def open_case(people: People, regulation: str = "permenpanrb-52-2014",
              unit: str = "coordinator") -> int:
    """A WBK case of this year, opened by that coordinator on their unit: its id."""
    unit_id = people.unit_id if unit == "coordinator" else people.other_unit_id
    case = cases.open_case(people.user(unit), unit_id, "WBK", this_year(), regulation)
    db.session.commit()
    return int(case.id)


def best_answer(question: dict[str, Any]) -> dict[str, Any]:
    """The answer worth the most: the first option, full counts, the top of the scale."""
    entry: dict[str, Any] = {"item_id": question["id"]}
    if question["answer_type"] == "percent":
        formula = question["formula"]
        entry["counts"] = {c["key"]: 10 if c["key"] in formula["denominator"]
                           else 0 if c["key"] in formula["numerator_minus"] else 10
                           for c in question["count_fields"]}
    elif question["answer_type"] == "survey_index":
        entry["answer"] = question["scale_max"]
    else:
        entry["answer"] = question["options"][0]["key"]
    return entry


def answer_all(people: People, case_id: int, kind: str, who: str,
               except_items: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Answer every question of a worksheet but ``except_items`` (best answers, a link as the
    evidence of each of the unit's); returns the worksheet's questions."""
    case = db.session.get(Case, case_id)
    assert case is not None
    sheet = worksheet(case, kind)
    entries = []
    for question in sheet["questions"]:
        if question["id"] in except_items:
            continue
        entry = best_answer(question)
        if kind == "self" and question["evidence_required"]:
            entry["evidence_links"] = [f"https://bukti.uji.go.id/{question['id']}.pdf"]
        entries.append(entry)
    cases.put_answers(people.user(who), case_id, kind, entries, case.version)
    db.session.commit()
    return list(sheet["questions"])


def declare_and_build(people: People, case_id: int) -> None:
    case = db.session.get(Case, case_id)
    assert case is not None
    coordinator = people.user("coordinator")
    cases.put_declaration(coordinator, case_id, GOOD_DECLARATION, case.version)
    db.session.commit()
    case = db.session.get(Case, case_id)
    assert case is not None
    cases.fire_transition(coordinator, case_id, "start_building", case.version)
    db.session.commit()


def fire(people: People, case_id: int, trigger: str, who: str,
         reason: str | None = None) -> None:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    cases.fire_transition(people.user(who), case_id, trigger, case.version, reason)
    db.session.commit()


def state_of(case_id: int) -> str:
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    return str(case.state)


def set_password(user_id: int, password: str) -> None:
    """A password as if set through its link (the link's own page has its test)."""
    from workflow.passwords import hash_password

    user = db.session.get(User, user_id)
    assert user is not None
    user.password_hash = hash_password(password)
    db.session.commit()


def to_pengusulan(people: People) -> int:
    """A 52/2014 WBK case of the coordinator's unit, submitted to the TPI: its id."""
    case_id = open_case(people)
    declare_and_build(people, case_id)
    answer_all(people, case_id, "self", "coordinator")
    fire(people, case_id, "submit_to_tpi", "coordinator")
    return case_id


def to_reviu_tpn(people: People) -> int:
    """The same case approved by the TPI: in TPN review."""
    case_id = to_pengusulan(people)
    answer_all(people, case_id, "tpi", "inspectorate")
    fire(people, case_id, "tpi_approve", "inspectorate")
    return case_id
