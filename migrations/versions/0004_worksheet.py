"""the LKE worksheet: rubric versions, answers and their revisions, evidence (issue 6)

Revision ID: 0004_worksheet
Revises: 0003_delivery
"""

from alembic import op
import sqlalchemy as sa

revision = "0004_worksheet"
down_revision = "0003_delivery"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "rubric_version",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("regulation", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("thresholds", sa.LargeBinary(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_version")),
    )
    # Plain ADD COLUMNs (no batch rebuild of zi_case, which other tables reference).
    op.add_column("zi_case", sa.Column("rubric_id", sa.String(length=60), nullable=True))
    op.add_column("zi_case", sa.Column("rubric_sha256", sa.String(length=64), nullable=True))
    op.add_column("zi_case", sa.Column("updated_at", UTC, nullable=True))
    op.execute("UPDATE zi_case SET rubric_id = regulation")

    op.create_table(
        "lke_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("item_id", sa.String(length=160), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("needs_revision", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.CheckConstraint("kind IN ('self', 'tpi', 'tpn')", name=op.f("ck_lke_answer_kind")),
        sa.ForeignKeyConstraint(["case_id"], ["zi_case.id"],
                                name=op.f("fk_lke_answer_case_id_zi_case")),
        sa.ForeignKeyConstraint(["answered_by"], ["app_user.id"],
                                name=op.f("fk_lke_answer_answered_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lke_answer")),
        sa.UniqueConstraint("case_id", "kind", "item_id", name="uq_lke_answer_case_kind_item"),
    )
    op.create_table(
        "lke_answer_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("needs_revision", sa.Boolean(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["lke_answer.id"],
                                name=op.f("fk_lke_answer_revision_answer_id_lke_answer")),
        sa.ForeignKeyConstraint(["answered_by"], ["app_user.id"],
                                name=op.f("fk_lke_answer_revision_answered_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lke_answer_revision")),
        sa.UniqueConstraint("answer_id", "revision", name="uq_lke_answer_revision"),
    )
    op.create_table(
        "lke_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("item_id", sa.String(length=160), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=120), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC, nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["zi_case.id"],
                                name=op.f("fk_lke_evidence_case_id_zi_case")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["app_user.id"],
                                name=op.f("fk_lke_evidence_uploaded_by_app_user")),
        sa.ForeignKeyConstraint(["deleted_by"], ["app_user.id"],
                                name=op.f("fk_lke_evidence_deleted_by_app_user")),
        sa.ForeignKeyConstraint(["replaced_by"], ["lke_evidence.id"],
                                name=op.f("fk_lke_evidence_replaced_by_lke_evidence")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lke_evidence")),
    )
    op.create_index("ix_lke_evidence_case_item", "lke_evidence", ["case_id", "item_id"])


def downgrade():
    op.drop_index("ix_lke_evidence_case_item", table_name="lke_evidence")
    op.drop_table("lke_evidence")
    op.drop_table("lke_answer_revision")
    op.drop_table("lke_answer")
    with op.batch_alter_table("zi_case") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("rubric_sha256")
        batch.drop_column("rubric_id")
    op.drop_table("rubric_version")
