"""Time: stored in UTC, shown in Asia/Jakarta; the fiscal year is the calendar year (DOMAIN.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")
D = TypeVar("D", date, datetime)


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC (time-machine moves it in tests)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Databases may hand back naive datetimes (SQLite): they are UTC by our convention."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def jakarta_date(moment: datetime) -> date:
    """The calendar date in Jakarta of an instant: what deadlines and fiscal years use."""
    return as_utc(moment).astimezone(JAKARTA).date()


def add_years(moment: D, years: int) -> D:
    """The same calendar day (and time) ``years`` later; 29 February falls back to the 28th."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)
