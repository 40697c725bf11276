"""Per request: an id (``X-Request-ID`` when the client sent a sane one, else a new one,
returned either way), an access log line and the HTTP metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from sqlalchemy import inspect

from api.metrics import observe_request

access = logging.getLogger("zi.access")
SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
HEADER = "X-Request-ID"


def _start() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
    g.started = time.perf_counter()
    g.access_user_id = None


def _identify() -> None:
    """After authentication (skipped when it refused): who is asking, without a query."""
    user = g.get("user")
    identity = inspect(user).identity if user is not None else None
    g.access_user_id = identity[0] if identity else None


def _finish(response: Response) -> Response:
    duration = time.perf_counter() - g.get("started", time.perf_counter())
    response.headers[HEADER] = g.get("request_id", "")
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    observe_request(request.method, route, response.status_code, duration)
    fields = {"method": request.method, "path": request.path, "status": response.status_code,
              "duration_ms": round(duration * 1000, 1), "user_id": g.get("access_user_id"),
              "request_id": g.get("request_id")}
    access.info("%s %s %s %.1fms user=%s request_id=%s", request.method, request.path,
                response.status_code, fields["duration_ms"], fields["user_id"] or "-",
                fields["request_id"], extra=fields)
    return response


def register(app: Flask) -> None:
    """After ``auth.load_user`` is registered: ``_start`` goes before it, ``_identify`` after."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # before auth: 401s too
    app.before_request(_identify)
    app.after_request(_finish)
