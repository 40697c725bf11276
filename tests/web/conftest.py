"""Page tests: a client signed in as one of the world's people (its session cookie)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World
from web.session import SESSION_PASSWORD, SESSION_USER, password_mark
from workflow.db import db
from workflow.models import User


@pytest.fixture
def page_client(app: Flask, world: World) -> Callable[[str], FlaskClient]:
    """``page_client("coordinator")``: a test client whose session is that person's.

    CSRF stays on: forms are posted with the token read from the page (``csrf_of``)."""

    def make(who: str) -> FlaskClient:
        client = app.test_client()
        user = db.session.get(User, world.user_ids[who])
        with client.session_transaction() as session:
            session[SESSION_USER] = user.id
            session[SESSION_PASSWORD] = password_mark(user)  # as sign_in_as keeps it
        return client

    return make
