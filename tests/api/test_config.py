"""Settings: one typed declaration; a bad value is one line naming the variable; the README's
table is the generated one."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api import config, create_app
from api.config import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No setting of the developer's shell (or .env) leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("ZI_") or name in ("DATABASE_URL", "MAIL_FROM") or name.startswith(
                "SMTP_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("ZI_TOKEN_TTL_DAYS", "abc", "valid integer"),
    ("ZI_TOKEN_TTL_DAYS", "0", "greater than or equal to 1"),
    ("SMTP_STARTTLS", "maybe", "valid boolean"),
    ("ZI_PAKTA_COVERAGE_MIN", "lots", "valid decimal"),
    ("ZI_PAKTA_COVERAGE_MIN", "1", "less than 1"),
    ("ZI_DISPATCHER_POLL_SECONDS", "soon", "valid number"),
    ("ZI_LOG_FORMAT", "xml", "'text' or 'json'"),
    ("ZI_REMINDER_OFFSETS_DAYS", "30,14", "expected JSON"),
    ("ZI_REMINDER_OFFSETS_DAYS", "[]", "non-empty JSON list"),
    ("ZI_PROPOSAL_DEADLINES", '{"2027": "6-15"}', "MM-DD"),
    ("ZI_PROPOSAL_DEADLINE", "31-05", "MM-DD"),
    ("MAIL_FROM", "ZI Workflow", "e-mail address"),
    ("SMTP_PORT", "70000", "less than or equal to 65535"),
    ("ZI_DIGEST_HOUR", "24", "less than or equal to 23"),
    ("DATABASE_URL", "not a url", "database URL"),
    ("ZI_PORTALRB_RATE_LIMIT", "lots", "120 per minute"),
    ("ZI_RATELIMIT_STORAGE_URI", "bogus://x", "unknown storage scheme"),
    ("ZI_SIGNED_LINK_DAYS", "0", "greater than or equal to 1"),
])
def test_a_bad_value_of_each_type_is_one_line_naming_the_variable(
        monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"invalid configuration: {variable}")
    assert expected in message


def test_a_rule_across_two_settings_is_named(monkeypatch):
    monkeypatch.setenv("ZI_OUTBOX_LEASE_SECONDS", "20")
    with pytest.raises(ConfigError, match="ZI_OUTBOX_LEASE_SECONDS .* must exceed SMTP_TIMEOUT"):
        config.load()


def test_values_are_typed_and_booleans_are_strict(monkeypatch):
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("ZI_REMINDER_OFFSETS_DAYS", "[10, 3]")
    monkeypatch.setenv("ZI_PROPOSAL_DEADLINES", '{"2027": "06-15"}')
    settings = config.load()
    assert settings.SMTP_STARTTLS is False
    assert settings.REMINDER_OFFSETS_DAYS == [10, 3]
    assert settings.PROPOSAL_DEADLINES == {2027: "06-15"}


def test_a_dotenv_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("ZI_TOKEN_TTL_DAYS=30\nSMTP_HOST=mail.env.go.id\n")
    monkeypatch.setenv("ZI_SMTP_HOST", "mail.shell.go.id")
    settings = config.load()
    assert (settings.TOKEN_TTL_DAYS, settings.SMTP_HOST) == (30, "mail.shell.go.id")


def test_an_unknown_zi_variable_is_warned_about(monkeypatch, caplog):
    monkeypatch.setenv("ZI_TOKEN_TTL_DAY", "30")
    monkeypatch.setenv("ZI_COORDINATOR_TOKEN", "demo token of the walk-through")
    with caplog.at_level(logging.WARNING, logger="api.config"):
        config.load()
    assert [r.getMessage() for r in caplog.records] == [
        "unknown setting ZI_TOKEN_TTL_DAY ignored (see `zi config show`)"]


def test_config_show_masks_secrets(monkeypatch, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SMTP_PASSWORD": "rahasia-smtp",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "ZI_DIGEST_HOUR": "6"}
    zi = Path(sys.executable).parent / "zi"
    shown = subprocess.run([zi, "config", "show"], env=env, cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout
    assert "rahasia" not in shown
    assert "SMTP_PASSWORD=********" in shown.splitlines()
    assert "ZI_DIGEST_HOUR=6" in shown.splitlines()
    pg = subprocess.run([zi, "config", "show"], env={**env, "DATABASE_URL":
                        "postgresql://zi:sandi@db.local/zi"}, cwd=tmp_path,
                        capture_output=True, text=True, check=True).stdout
    assert "sandi" not in pg and "DATABASE_URL=postgresql+psycopg://zi:***@db.local/zi" in pg


def test_zi_refuses_to_start_with_one_line(tmp_path):
    zi = Path(sys.executable).parent / "zi"
    result = subprocess.run([zi, "db", "upgrade"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "ZI_TOKEN_TTL_DAYS": "abc"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "zi: invalid configuration: ZI_TOKEN_TTL_DAYS='abc': expected a valid integer, "
        "unable to parse string as an integer"]


def test_the_readme_table_is_the_generated_one():
    readme = README.read_text()
    table = re.search(r"<!-- config-table -->\n(.*?)<!-- /config-table -->", readme, re.S)
    assert table is not None, "README lacks the generated configuration table"
    assert table[1] == config.markdown_table(), "run `zi config table` and paste it"
