"""No personal data in error logs (issue 9): a database error's statement parameters (an
e-mail address, a report) are not written to the log with its traceback."""

from __future__ import annotations

import logging

from sqlalchemy import text

from workflow import directory
from workflow.db import db


def test_a_database_error_logs_no_parameter_values(client, world, monkeypatch, caplog):
    def failing(*args, **kwargs):
        db.session.execute(text("SELECT * FROM no_such_table WHERE email = :email"),
                           {"email": "rahasia.pribadi@uji.go.id"})

    monkeypatch.setattr(directory, "list_units", failing)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/units", headers=world.auth("admin"))
    assert response.status_code == 500 and response.json["code"] == "internal_error"
    assert "no_such_table" in caplog.text  # the error is logged…
    assert "rahasia.pribadi" not in caplog.text  # …without the values
