"""SMTP settings come from the plain names operators know, and bad ones are refused early."""

from __future__ import annotations

import pytest

from api import create_app
from api.config import DEFAULTS, check, plain_env
from notifications.settings import DeliverySettings


def test_plain_smtp_names_are_read_and_typed():
    assert plain_env({"SMTP_HOST": "mail.uji.go.id", "SMTP_PORT": "587",
                      "SMTP_STARTTLS": "true", "SMTP_USER": "zi", "OTHER": "x"}) == {
        "SMTP_HOST": "mail.uji.go.id", "SMTP_PORT": 587, "SMTP_STARTTLS": True,
        "SMTP_USER": "zi"}


def test_the_app_reads_them_and_a_zi_prefixed_value_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("ZI_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SMTP_HOST", "mail.uji.go.id")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_STARTTLS", "1")
    monkeypatch.setenv("MAIL_FROM", "ZI <zi@uji.go.id>")
    monkeypatch.setenv("ZI_SMTP_PORT", "587")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    settings = DeliverySettings.from_config(app.config)
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.uji.go.id", 587, True)
    assert (settings.sender_address, settings.mail_domain) == ("zi@uji.go.id", "uji.go.id")


@pytest.mark.parametrize(("key", "value"), [
    ("MAIL_FROM", "ZI Workflow"), ("SMTP_PORT", 70000), ("DIGEST_HOUR", 24),
    ("OUTBOX_MAX_ATTEMPTS", 0), ("OUTBOX_LEASE_SECONDS", 10),
])
def test_a_bad_delivery_setting_is_refused_at_start(key, value):
    with pytest.raises(ValueError, match=key):
        check({**DEFAULTS, key: value})
