"""The README shows the screenshots the browser tests take (``make screenshots``): each one
it names exists, each one kept is shown, and the tests still take every one of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


def test_the_readme_shows_every_kept_screenshot_and_names_no_missing_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\(docs/screenshots/([\w.-]+\.png)\)", readme))
    kept = {path.name for path in SHOTS.glob("*.png")}
    assert shown and shown == kept
    for name in kept:
        data = (SHOTS / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 300_000, name


def test_every_kept_screenshot_is_taken_by_a_browser_test():
    taken = set()
    for source in Path(__file__).parent.glob("test_*.py"):
        taken |= set(re.findall(r'screenshot\(\w+, "([\w-]+)"\)', source.read_text()))
    kept = {path.stem for path in SHOTS.glob("*.png")}
    assert kept <= taken, kept - taken
