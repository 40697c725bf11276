"""duties and their reminders (issue 3)

Revision ID: 0002_duties
Revises: 0001_initial
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0002_duties"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
