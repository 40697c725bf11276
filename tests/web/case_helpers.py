"""Helpers of the case and unit page tests: cases opened through the use cases, statements
counted, the text of a page without its markup."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from tests.conftest import World
from tests.perf.test_statement_budget import counted
from workflow import cases
from workflow.db import db
from workflow.models import Case, User

REG_52 = "permenpanrb-52-2014"
GOOD_FORM = {"staff_total": "40", "pakta_signed": "30", "head_signed": "1",
             "commitment_statement": "Kami berkomitmen membangun zona integritas.",
             "team": "Ketua Tim\nAnggota Satu\n"}
PAGE_LIMIT = 200 * 1024


def person(world: World, who: str) -> User:
    user = db.session.get(User, world.user_ids[who])
    assert user is not None
    return user


def opened(world: World, unit_id: int | None = None, who: str = "coordinator",
           target: str = "WBK", year: int = 2026) -> Case:
    return cases.open_case(person(world, who), unit_id or world.unit.id, target, year, REG_52)


def text_of(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def statements_of(client: FlaskClient, path: str) -> list[str]:
    db.session.expire_all()
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.data) < PAGE_LIMIT
    return statements
