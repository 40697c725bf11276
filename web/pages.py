"""Imports every page module once, so each registers its routes on ``web.bp``."""

from __future__ import annotations

from web import (  # noqa: F401
    account,
    admin_units,
    admin_users,
    cases,
    dashboards,
    duties,
    errors,
    home,
    labels,
    signin,
    units,
    worksheet,
)
