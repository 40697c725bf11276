"""Small helpers for page tests."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def csrf_of(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of a page, as a browser would post it back."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
