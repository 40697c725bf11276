"""What delivery needs to know, as one immutable value built by the caller from its config.

The notifications layer never reads ``api``; the CLI (or a test) hands it these settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

DIGEST_TEMPLATE = "daily_digest"
FAILURE_TEMPLATE = "delivery_failed"


@dataclass(frozen=True)
class DeliverySettings:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    mail_from: str = "ZI Workflow <noreply@localhost>"
    public_base_url: str = "http://127.0.0.1:8000"
    digest_hour: int = 7
    batch_size: int = 50
    lease_seconds: int = 300
    retry_hours: float = 72.0
    backoff_seconds: int = 60
    backoff_cap_seconds: int = 3600
    poll_seconds: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DeliverySettings:
        """Read the Flask config keys declared in ``api/config.py``."""
        return cls(
            smtp_host=str(config["SMTP_HOST"]),
            smtp_port=int(config["SMTP_PORT"]),
            smtp_user=str(config["SMTP_USER"] or ""),
            smtp_password=str(config["SMTP_PASSWORD"] or ""),
            smtp_starttls=bool(config["SMTP_STARTTLS"]),
            smtp_ssl=bool(config["SMTP_SSL"]),
            smtp_timeout=float(config["SMTP_TIMEOUT"]),
            mail_from=str(config["MAIL_FROM"]),
            public_base_url=str(config["PUBLIC_BASE_URL"]),
            digest_hour=int(config["DIGEST_HOUR"]),
            batch_size=int(config["OUTBOX_BATCH_SIZE"]),
            lease_seconds=int(config["OUTBOX_LEASE_SECONDS"]),
            retry_hours=float(config["OUTBOX_RETRY_HOURS"]),
            backoff_seconds=int(config["OUTBOX_BACKOFF_SECONDS"]),
            backoff_cap_seconds=int(config["OUTBOX_BACKOFF_CAP_SECONDS"]),
            poll_seconds=float(config["DISPATCHER_POLL_SECONDS"]),
        )

    @property
    def sender_address(self) -> str:
        """The bare address of ``MAIL_FROM`` (the SMTP envelope sender)."""
        return parseaddr(self.mail_from)[1]

    @property
    def mail_domain(self) -> str:
        """The domain Message-IDs are minted under: the one of ``MAIL_FROM``."""
        return self.sender_address.rpartition("@")[2] or "localhost"

    def link(self, path: str | None) -> str | None:
        """An absolute link to act on: ``PUBLIC_BASE_URL`` + the path given in a notice."""
        if not path:
            return None
        if "://" in path:
            return path
        return self.public_base_url.rstrip("/") + "/" + path.lstrip("/")
