"""Bearer tokens: ``Authorization: Bearer <token>``; tokens are stored hashed.

Failed authentications are throttled per client address (``AUTH_FAILURE_LIMIT``, e.g. "20 per
5 minutes", counted in ``RATELIMIT_STORAGE_URI``: ``memory://`` per process, or a shared
``redis://…`` for several). An address over the limit gets 429 with ``Retry-After`` for
every request, before its token is looked at: a guesser must not learn which token is right.
"""

from __future__ import annotations

import math
import time

import limits
from flask import Flask, current_app, g, request
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from api import portalrb
from workflow.directory import authenticate
from workflow.errors import Unauthenticated
from workflow.models import User

PUBLIC_PREFIXES = ("/api/openapi.json", "/api/docs")


class _Throttle:
    def __init__(self, rule: str, storage: str) -> None:
        self.rule = limits.parse(rule)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def check(self, address: str) -> None:
        if not self.limiter.test(self.rule, "auth-failure", address):
            reset = self.limiter.get_window_stats(self.rule, "auth-failure", address).reset_time
            raise TooManyRequests("Too many failed authentications from this address",
                                  retry_after=max(1, math.ceil(reset - time.time())))

    def failed(self, address: str) -> None:
        self.limiter.hit(self.rule, "auth-failure", address)


def install(app: Flask) -> None:
    app.extensions["zi_auth_throttle"] = _Throttle(str(app.config["AUTH_FAILURE_LIMIT"]),
                                                   str(app.config["RATELIMIT_STORAGE_URI"]))
    app.before_request(load_user)


def load_user() -> None:
    """Before each API request: find the caller or answer 401 (429 when throttled)."""
    if not request.path.startswith("/api/") or request.path.startswith(PUBLIC_PREFIXES):
        return
    if portalrb.applies():
        return  # integration tokens only, checked by api.portalrb
    throttle: _Throttle = current_app.extensions["zi_auth_throttle"]
    address = request.remote_addr or "-"
    throttle.check(address)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        throttle.failed(address)
        raise Unauthenticated("Token tidak ada, tidak valid, atau kedaluwarsa",
                              "Missing, invalid or expired token")
    g.user = user


def current_user() -> User:
    user: User = g.user
    return user
