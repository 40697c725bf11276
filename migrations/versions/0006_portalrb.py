"""PortalRB's pull API: integration tokens, the unit's afirmasi flag, the last fetch per case
(issue 7)

Revision ID: 0006_portalrb
Revises: 0008_perf
"""

from alembic import op
import sqlalchemy as sa

revision = "0006_portalrb"
down_revision = "0008_perf"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.add_column("unit", sa.Column("afirmasi", sa.Boolean(), nullable=False,
                                    server_default=sa.text("false")))
    op.create_table(
        "integration_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instansi_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["instansi_id"], ["instansi.id"],
                                name=op.f("fk_integration_token_instansi_id_instansi")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_integration_token_token_hash")),
    )
    op.create_index("ix_integration_token_instansi_id", "integration_token", ["instansi_id"])
    op.create_table(
        "portalrb_fetch",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("tahun", sa.Integer(), nullable=False),
        sa.Column("fetched_at", UTC, nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("notified_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["zi_case.id"],
                                name=op.f("fk_portalrb_fetch_case_id_zi_case")),
        sa.ForeignKeyConstraint(["token_id"], ["integration_token.id"],
                                name=op.f("fk_portalrb_fetch_token_id_integration_token")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_portalrb_fetch")),
    )
    op.create_index("ix_portalrb_fetch_token_id", "portalrb_fetch", ["token_id"])


def downgrade():
    op.drop_index("ix_portalrb_fetch_token_id", table_name="portalrb_fetch")
    op.drop_table("portalrb_fetch")
    op.drop_index("ix_integration_token_instansi_id", table_name="integration_token")
    op.drop_table("integration_token")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("afirmasi")
