"""The Alembic migrations, shipped inside the wheel so that ``zi db upgrade`` works from an
installed package, not only from a checkout."""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
