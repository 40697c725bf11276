"""What Flask and webargs would redo at every request is done once per process, with the
same outcome."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from api import flask_class, logs
from api.jsonbody import Blueprint
from api.schemas import TransitionIn


def test_an_argument_schema_is_built_once_per_class(app: Flask) -> None:
    parser = Blueprint.ARGUMENTS_PARSER
    with app.test_request_context("/api/v1/cases/1/transitions", method="POST"):
        first = parser._get_schema(TransitionIn, None)  # type: ignore[arg-type]
        again = parser._get_schema(TransitionIn, None)  # type: ignore[arg-type]
    assert isinstance(first, TransitionIn) and again is first


def test_a_malformed_body_is_refused_each_time_with_one_schema(client, world) -> None:  # type: ignore[no-untyped-def]
    for body, field in (({"trigger": "nope", "expected_version": 1}, "trigger"),
                        ({"trigger": "start_building"}, "expected_version")):
        response = client.post("/api/v1/cases/1/transitions", json=body,
                               headers=world.auth("coordinator"))
        assert response.status_code == 400, response.json
        assert list(response.json["errors"]) == [field]


def test_whether_a_function_is_a_coroutine_function_is_asked_once(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    real = flask_class.iscoroutinefunction

    def counted(func: Any) -> bool:
        asked.append(func)
        return real(func)

    monkeypatch.setattr(flask_class, "iscoroutinefunction", counted)

    class View:
        def get(self) -> str:
            return "ok"

    for _ in range(3):  # bound anew each time, as a MethodView's method is per request
        method = View().get
        assert app.ensure_sync(method) is method
    assert asked == [View.get]

    async def coroutine() -> None:
        return None

    with pytest.raises(RuntimeError, match="async"):  # Flask's answer without asgiref
        app.ensure_sync(coroutine)


def test_the_session_cookie_signer_is_kept_until_a_key_changes(app: Flask) -> None:
    interface = app.session_interface
    first = interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert interface.get_signing_serializer(app) is first  # type: ignore[attr-defined]
    cookie = first.dumps({"user_id": 1})
    old_key = app.secret_key
    try:
        app.secret_key = "another-key-for-this-test"
        rotated = interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        assert rotated is not first
        with pytest.raises(Exception, match="[Ss]ignature"):
            rotated.loads(cookie)
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert interface.get_signing_serializer(app).loads(  # type: ignore[attr-defined]
            cookie) == {"user_id": 1}
    finally:
        app.secret_key = old_key
        app.config["SECRET_KEY_FALLBACKS"] = None
    assert interface.get_signing_serializer(app).loads(cookie) == {  # type: ignore[attr-defined]
        "user_id": 1}


def test_the_state_machine_librarys_info_lines_are_not_logged() -> None:
    root = logging.getLogger()
    kept = (root.handlers[:], root.level, logging.getLogger("alembic").level,
            logging.getLogger("transitions").level)
    try:
        logs.configure("INFO", "text")
        assert not logging.getLogger("transitions").isEnabledFor(logging.INFO)
        assert logging.getLogger("transitions").isEnabledFor(logging.WARNING)
        assert logging.getLogger("zi.access").isEnabledFor(logging.INFO)
        logs.configure("DEBUG", "text")
        assert not logging.getLogger("transitions").isEnabledFor(logging.INFO)
        logs.configure("ERROR", "text")
        assert not logging.getLogger("transitions").isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:], level, alembic, transitions = kept
        root.setLevel(level)
        logging.getLogger("alembic").setLevel(alembic)
        logging.getLogger("transitions").setLevel(transitions)
