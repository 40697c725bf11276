"""Log lines of the ``zi`` processes: text for people, or one JSON object per line for a log
collector (``ZI_LOG_FORMAT=json``); ``ZI_LOG_LEVEL`` sets the level."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has: what is left are the fields given with ``extra=``.
STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({key: value for key, value in record.__dict__.items()
                     if key not in STANDARD and not key.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """One handler on the root logger, to stderr (journald collects it under systemd)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The readiness check asks Alembic for the revision; `zi db upgrade` turns it back up.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # The state machine's library says at INFO that it ran each state's callbacks: two lines
    # per transition that tell nothing the access line and the audit do not (and cost more
    # CPU than it); its warnings and errors still show.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, root.level))
