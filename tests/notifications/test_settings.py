"""SMTP settings come from the plain names operators know, typed, the ZI_ name winning."""

from __future__ import annotations

import pytest

from api import config, create_app
from api.config import ConfigError
from notifications.settings import DeliverySettings


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


@pytest.mark.parametrize(("tls", "refused"), [
    ({}, True),
    ({"SMTP_STARTTLS": True}, False),
    ({"SMTP_SSL": True}, False),
    ({"SMTP_ALLOW_PLAINTEXT_AUTH": True}, False),
])
def test_smtp_credentials_are_refused_without_tls_unless_allowed(tls, refused):
    plain = {"SMTP_STARTTLS": False, "SMTP_SSL": False, "SMTP_ALLOW_PLAINTEXT_AUTH": False}
    settings = {**plain, "SMTP_USER": "zi", "SMTP_PASSWORD": "rahasia", **tls}
    if refused:
        with pytest.raises(ConfigError, match="in clear"):
            config.load(settings)
    else:
        config.load(settings)
    config.load({**plain, "SMTP_USER": ""})  # no credentials, nothing to protect


def test_an_unreadable_throttle_rule_is_refused():
    with pytest.raises(ConfigError, match="ZI_AUTH_FAILURE_LIMIT"):
        config.load({"AUTH_FAILURE_LIMIT": "lots"})
