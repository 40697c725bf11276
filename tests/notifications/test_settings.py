"""SMTP settings come from the plain names operators know, typed, the ZI_ name winning."""

from __future__ import annotations

from api import create_app
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
