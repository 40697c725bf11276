"""Migration 0009_web_auth: up and down again without losing users (SQLite rebuilds nothing,
so no cascade empties the tables that reference app_user)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
from sqlalchemy import inspect, text

from api import MIGRATIONS, create_app
from tests.conftest import TEST_AUDIT_KEY
from workflow.db import db


def test_passwords_migration_goes_down_and_up_keeping_users(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path), "AUDIT_KEY": TEST_AUDIT_KEY})
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0009_web_auth")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO app_user (email, name, role, language, daily_digest,"
                              " active, created_at, password_hash) VALUES ('a@uji.go.id', '',"
                              " 'tpn', 'id', false, true, '2026-11-25', 'scrypt:x')"))
            conn.execute(text("INSERT INTO api_token (user_id, token_hash, created_at, "
                              "expires_at) VALUES (1, 'h', '2026-11-25', '2027-11-25')"))
        flask_migrate.downgrade(directory=MIGRATIONS, revision="0005_trust")
        tables = inspect(db.engine)
        assert "password_link" not in tables.get_table_names()
        assert "password_hash" not in {c["name"] for c in tables.get_columns("app_user")}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_token")).scalar() == 1
        flask_migrate.upgrade(directory=MIGRATIONS, revision="0009_web_auth")
        assert "password_link" in inspect(db.engine).get_table_names()
        db.engine.dispose()
