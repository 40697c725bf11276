"""Per request: an id (``X-Request-ID`` when the client sent a sane one, else a new one,
returned either way), an access log line and the HTTP metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from api.metrics import observe_request

access = logging.getLogger("zi.access")
SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
HEADER = "X-Request-ID"


def _start() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if SANE_ID.fullmatch(given) else uuid.uuid4().hex
    g.started = time.perf_counter()
    g.pop("user", None)  # an app context shared by several requests (tests) must not leak it


def _finish(response: Response) -> Response:
    duration = time.perf_counter() - g.get("started", time.perf_counter())
    response.headers[HEADER] = g.get("request_id", "")
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    observe_request(request.method, route, response.status_code, duration)
    user = g.get("user")
    fields = {"method": request.method, "path": request.path, "status": response.status_code,
              "duration_ms": round(duration * 1000, 1), "user_id": user.id if user else None,
              "request_id": g.get("request_id")}
    access.info("%s %s %s %.1fms user=%s request_id=%s", request.method, request.path,
                response.status_code, fields["duration_ms"], fields["user_id"] or "-",
                fields["request_id"], extra=fields)
    return response


def register(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # before auth: 401s too
    app.after_request(_finish)
