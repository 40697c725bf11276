"""A long-running process settles once ready: start-up's objects leave the collector's way."""

from __future__ import annotations

import gc
from pathlib import Path

from workflow.process import settle


def test_settle_moves_what_start_up_made_out_of_the_collectors_way():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_server_settles_once_its_app_is_built():
    source = (Path(__file__).parents[2] / "api" / "cli_ops.py").read_text()
    serve = source[source.index("def serve("):]
    assert serve.index("create_server(") < serve.index("settle()") < serve.index("while not")
