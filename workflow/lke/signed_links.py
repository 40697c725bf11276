"""Signed download links for evidence files: they open without a user's token, and expire.

PortalRB receives evidence as links (``bukti_dukung_unit``); an uploaded file becomes a link
that names the evidence row and the file's SHA-256, with its expiry inside the signed part,
so an altered or outdated link is refused (403). The expiry is fixed when the link is made.

Pure module: it imports neither Flask nor the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["LinkRefused", "Signed", "sign", "verify"]

SALT = "zi-workflow.evidence-file"


class LinkRefused(ValueError):
    """A link that was altered (``link_invalid``) or is past its expiry (``link_expired``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Signed:
    evidence_id: int
    sha256: str
    expires_at: datetime


def sign(key: str, evidence_id: int, sha256: str, now: datetime, days: int) -> str:
    expires = int((now + timedelta(days=days)).timestamp())
    return str(URLSafeSerializer(key, salt=SALT).dumps([evidence_id, sha256, expires]))


def verify(key: str, token: str, now: datetime) -> Signed:
    try:
        payload = URLSafeSerializer(key, salt=SALT).loads(token)
    except BadSignature as err:
        raise LinkRefused("link_invalid") from err
    if (not isinstance(payload, list) or len(payload) != 3
            or not all(isinstance(v, t) for v, t in zip(payload, (int, str, int), strict=True))):
        raise LinkRefused("link_invalid")
    evidence_id, sha256, expires = payload
    expires_at = datetime.fromtimestamp(expires, tz=now.tzinfo)
    if now >= expires_at:
        raise LinkRefused("link_expired")
    return Signed(evidence_id, sha256, expires_at)
