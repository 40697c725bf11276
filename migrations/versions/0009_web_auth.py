"""web sign-in (issue 8): a password hash per user and single-use, expiring password links
(invitation, reset), stored as the SHA-256 of their token

Revision ID: 0009_web_auth
Revises: 0005_trust
"""

from alembic import op
import sqlalchemy as sa

revision = "0009_web_auth"
down_revision = "0005_trust"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.add_column("app_user", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset')",
                           name=op.f("ck_password_link_purpose_known")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE",
                                name=op.f("fk_password_link_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    op.create_index(op.f("ix_password_link_user_id"), "password_link", ["user_id"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_password_link_user_id"), table_name="password_link")
    op.drop_table("password_link")
    # SQLite 3.35+ drops a column in place: no batch rebuild of a table others reference
    op.execute("ALTER TABLE app_user DROP COLUMN password_hash")
