"""Failed sign-ins throttled per account and per client address (issue 8, issue 9 item 7).

The same approach as the API's tokens (``api.auth``): a moving window of the ``limits``
package, counted in ``RATELIMIT_STORAGE_URI`` (``memory://`` per process, ``redis://…`` shared
by several). Per address: ``AUTH_FAILURE_LIMIT``; per account: ``SIGNIN_ACCOUNT_FAILURE_LIMIT``,
keyed by the e-mail as typed (normalised), whether or not anyone has it, so the throttle does
not tell which addresses exist. Over either limit, a sign-in is answered 429 with
``Retry-After`` before the password is looked at.
"""

from __future__ import annotations

import hashlib
import math
import time

import limits
from flask import Flask, current_app
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION = "zi_signin_throttle"


class SignInThrottle:
    def __init__(self, per_address: str, per_account: str, storage: str) -> None:
        self.rules = {"address": limits.parse(per_address),
                      "account": limits.parse(per_account)}
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage))

    @staticmethod
    def _keys(address: str, account: str | None) -> list[tuple[str, str]]:
        keys = [("address", address)]
        if account is not None:  # hashed: the counters' storage holds no e-mail address
            keys.append(("account", hashlib.sha256(account.encode("utf-8")).hexdigest()))
        return keys

    def wait(self, address: str, account: str | None = None) -> int:
        """Seconds to wait before trying again (0: go ahead)."""
        longest = 0
        for scope, key in self._keys(address, account):
            rule = self.rules[scope]
            if not self.limiter.test(rule, "signin-failure", scope, key):
                reset = self.limiter.get_window_stats(rule, "signin-failure", scope,
                                                      key).reset_time
                longest = max(longest, max(1, math.ceil(reset - time.time())))
        return longest

    def failed(self, address: str, account: str | None = None) -> None:
        for scope, key in self._keys(address, account):
            self.limiter.hit(self.rules[scope], "signin-failure", scope, key)

    def forget_account(self, account: str) -> None:
        """After a successful sign-in, the account's earlier failures are forgotten (the
        address's are not: one good account must not reset an address's guesses)."""
        for scope, key in self._keys("", account)[1:]:
            self.limiter.clear(self.rules[scope], "signin-failure", scope, key)


def install(app: Flask) -> None:
    app.extensions[EXTENSION] = SignInThrottle(
        str(app.config.get("AUTH_FAILURE_LIMIT", "20 per 5 minutes")),
        str(app.config.get("SIGNIN_ACCOUNT_FAILURE_LIMIT", "10 per 15 minutes")),
        str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")))


def throttle() -> SignInThrottle:
    found: SignInThrottle = current_app.extensions[EXTENSION]
    return found
