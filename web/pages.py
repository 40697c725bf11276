"""Imports every page module once, so each registers its routes on ``web.bp``."""

from __future__ import annotations

from web import (  # noqa: F401
    admin_units,
    cases,
    dashboards,
    duties,
    errors,
    home,
    labels,
    signin,
    units,
)
