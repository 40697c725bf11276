"""The HTTP floor: a minimal Flask endpoint doing the floor's transition SQL, served by
waitress with the settings ``zi serve`` uses, so the two differ only in what the service
does per request. ``python -m bench.floor_app --port P --dsn DSN``."""

from __future__ import annotations

import argparse
import threading

import psycopg
from flask import Flask, jsonify, request
from waitress import serve

from bench.transitions import floor_transition

THREADS = 8  # zi serve's default


def make_app(dsn: str) -> Flask:
    app = Flask(__name__)
    local = threading.local()

    @app.post("/floor/<int:case_id>")
    def transition(case_id: int):  # type: ignore[no-untyped-def]
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(dsn)
        body = request.get_json()
        version = floor_transition(conn, case_id, body["trigger"], body["expected_version"], 1)
        return jsonify({"id": case_id, "version": version})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    serve(make_app(args.dsn), host="127.0.0.1", port=args.port, threads=THREADS)


if __name__ == "__main__":
    main()
