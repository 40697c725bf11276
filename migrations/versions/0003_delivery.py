"""outbox delivery attempts and digests (issue 3)

Revision ID: 0003_delivery
Revises: 0002_duties
"""

from alembic import op
import sqlalchemy as sa

revision = "0003_delivery"
down_revision = "0002_duties"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outbox_message", sa.Column("rfc_message_id", sa.String(length=255),
                                              nullable=True))
    op.add_column("outbox_message", sa.Column("lease_owner", sa.String(length=32),
                                              nullable=True))
    fk_name = "fk_outbox_message_digest_sent_in_outbox_message"
    if op.get_bind().dialect.name == "sqlite":
        # SQLite accepts a reference inline in ADD COLUMN; a batch rebuild of outbox_message
        # would drop and copy a table other tables may reference.
        op.execute(f"ALTER TABLE outbox_message ADD COLUMN digest_sent_in INTEGER "
                   f"CONSTRAINT {fk_name} REFERENCES outbox_message (id)")
    else:
        op.add_column("outbox_message", sa.Column("digest_sent_in", sa.Integer(),
                                                  nullable=True))
        op.create_foreign_key(op.f(fk_name), "outbox_message", "outbox_message",
                              ["digest_sent_in"], ["id"])
    op.create_index(op.f("ix_outbox_message_digest_sent_in"), "outbox_message",
                    ["digest_sent_in"], unique=False)
    op.create_table(
        "outbox_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"],
                                name=op.f("fk_outbox_attempt_message_id_outbox_message"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempt")),
    )
    op.create_index(op.f("ix_outbox_attempt_message_id"), "outbox_attempt", ["message_id"],
                    unique=False)


def downgrade():
    op.drop_index(op.f("ix_outbox_attempt_message_id"), table_name="outbox_attempt")
    op.drop_table("outbox_attempt")
    op.drop_index(op.f("ix_outbox_message_digest_sent_in"), table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_column("digest_sent_in")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("rfc_message_id")
