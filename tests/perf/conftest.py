"""The statement budgets count what production runs: without the suite's check of every
kept worksheet standing against a full marking (its extra reads are the test's, not the
service's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def _production_reads(migrated_app: Flask) -> Iterator[None]:
    migrated_app.config["VERIFY_KEPT_MARKS"] = False
    try:
        yield
    finally:
        migrated_app.config["VERIFY_KEPT_MARKS"] = True
