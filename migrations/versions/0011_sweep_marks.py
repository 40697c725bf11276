"""the sweep's mark (issue 11): the last completed sweep's Jakarta day, rules and a
fingerprint of what it read, so that a sweep finding nothing changed the same day stops early

Revision ID: 0011_sweep_marks
Revises: 0009_web_auth
"""

from alembic import op
import sqlalchemy as sa

revision = "0011_sweep_marks"
down_revision = "0009_web_auth"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sweep_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sweep_mark_single")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep_mark")),
    )


def downgrade():
    op.drop_table("sweep_mark")
