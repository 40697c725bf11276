"""English for every text of the pages: each ``_()`` string has a translation, and each
compiled catalog (.mo, what the app reads) is its .po as committed."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
CATALOGS = sorted((WEB / "translations").glob("*/en/LC_MESSAGES/messages.po"))
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def texts_of_the_pages() -> dict[str, str]:
    """Every msgid in web/, with where it is used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(WEB), METHODS, options_map={"**/templates/**.html": {}}):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def english() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in CATALOGS:
        with path.open("rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    merged[key] = message.string if isinstance(message.string, str) \
                        else message.string[0]
    return merged


def test_every_text_of_the_pages_has_english() -> None:
    missing = {msgid: where for msgid, where in texts_of_the_pages().items()
               if msgid not in english()}
    assert not missing, f"add these to a web/translations/<area>/en catalog: {missing}"


@pytest.mark.parametrize("po", CATALOGS, ids=lambda path: path.parts[-4])
def test_the_compiled_catalog_is_current(po: Path) -> None:
    with po.open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with po.with_suffix(".mo").open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source, f"run: pybabel compile -d {po.parents[2]}"
