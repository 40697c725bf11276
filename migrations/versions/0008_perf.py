"""who is told of a transition, by index: app_user (role, instansi_id) (issue 11)

Revision ID: 0008_perf
Revises: 0004_worksheet
"""

from alembic import op

revision = "0008_perf"
down_revision = "0004_worksheet"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_app_user_role_instansi", "app_user", ["role", "instansi_id"])


def downgrade():
    op.drop_index("ix_app_user_role_instansi", table_name="app_user")
