"""outbox delivery attempts and digests (issue 3)

Revision ID: 0003_delivery
Revises: 0002_duties
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0003_delivery"
down_revision = "0002_duties"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
