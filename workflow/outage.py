"""One log line per outage, not a traceback per attempt (the dispatcher and the scheduler).

A loop that retries a failing step reports the first failure of a streak as one line (the
error's class and first line), stays silent while the same trouble lasts, and says once
when the step works again.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError

# SQLite reports some bugs as "operational" errors too: those are not an outage.
NOT_AN_OUTAGE = ("no such table", "no such column", "syntax error")


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be reached (as opposed to a bug or a constraint)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError) and not any(
        text in str(error.orig).lower() for text in NOT_AN_OUTAGE)


def summary(error: BaseException) -> str:
    """The error in one line: ``database unavailable: …`` or ``Class: first line``."""
    first = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
    if is_database_outage(error):
        return f"database unavailable: {first[:300]}"
    return f"{type(error).__name__}: {first[:300]}"


class OutageLog:
    """Tracks a streak of failures of one step; logs its start and its end once each."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger, self.what = logger, what
        self.failing: str | None = None

    def failed(self, error: BaseException, retry_in: float) -> None:
        line = summary(error)
        if self.failing is None:
            self.logger.error("%s failed: %s; retrying every %gs", self.what, line, retry_in)
            if not is_database_outage(error):  # a bug deserves its traceback, once
                self.logger.debug("%s failure", self.what, exc_info=error)
        self.failing = line

    def succeeded(self) -> None:
        if self.failing is not None:
            self.logger.warning("%s works again (was: %s)", self.what, self.failing)
        self.failing = None
