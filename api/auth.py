"""Bearer tokens: ``Authorization: Bearer <token>``; tokens are stored hashed."""

from __future__ import annotations

from flask import g, request

from api import portalrb
from workflow.directory import authenticate
from workflow.errors import Unauthenticated
from workflow.models import User

PUBLIC_PREFIXES = ("/healthz", "/api/openapi.json", "/api/docs")


def load_user() -> None:
    """Before each API request: find the caller or answer 401."""
    if not request.path.startswith("/api/") or request.path.startswith(PUBLIC_PREFIXES):
        return
    if portalrb.applies():
        return  # integration tokens only, checked by api.portalrb
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        raise Unauthenticated("Token tidak ada, tidak valid, atau kedaluwarsa",
                              "Missing, invalid or expired token")
    g.user = user


def current_user() -> User:
    user: User = g.user
    return user
