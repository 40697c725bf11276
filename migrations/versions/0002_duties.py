"""duties and their reminders (issue 3)

Revision ID: 0002_duties
Revises: 0001_initial
"""

from alembic import op
import sqlalchemy as sa

revision = "0002_duties"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

DUTY_STATES = "'open', 'submitted', 'acknowledged', 'overdue', 'waived'"
DUTY_KINDS = ("'year_end_report', 'maintenance_check', 'tpi_monitoring_report', "
              "'improvement_plan', 'budget_allocation', 'proposal_deadline'")


def upgrade():
    op.create_table(
        "duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("acknowledge_note", sa.Text(), nullable=True),
        sa.Column("waive_reason", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_by", sa.Integer(), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"state IN ({DUTY_STATES})", name=op.f("ck_duty_state")),
        sa.CheckConstraint(f"kind IN ({DUTY_KINDS})", name=op.f("ck_duty_kind")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_duty_unit_id_unit")),
        sa.ForeignKeyConstraint(["case_id"], ["zi_case.id"],
                                name=op.f("fk_duty_case_id_zi_case")),
        sa.ForeignKeyConstraint(["submitted_by"], ["app_user.id"],
                                name=op.f("fk_duty_submitted_by_app_user")),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["app_user.id"],
                                name=op.f("fk_duty_acknowledged_by_app_user")),
        sa.ForeignKeyConstraint(["waived_by"], ["app_user.id"],
                                name=op.f("fk_duty_waived_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty")),
        sa.UniqueConstraint("kind", "subject", "period", name="uq_duty_kind_subject_period"),
    )
    op.create_index(op.f("ix_duty_unit_id"), "duty", ["unit_id"], unique=False)
    op.create_index(op.f("ix_duty_case_id"), "duty", ["case_id"], unique=False)
    op.create_index("ix_duty_state_due_date", "duty", ["state", "due_date"], unique=False)
    op.create_index("ix_audit_event_action_occurred_at", "audit_event",
                    ["action", "occurred_at"], unique=False)
    op.create_index("ix_user_unit_unit_id", "user_unit", ["unit_id"], unique=False)


def downgrade():
    op.drop_index("ix_user_unit_unit_id", table_name="user_unit")
    op.drop_index("ix_audit_event_action_occurred_at", table_name="audit_event")
    op.drop_index("ix_duty_state_due_date", table_name="duty")
    op.drop_index(op.f("ix_duty_case_id"), table_name="duty")
    op.drop_index(op.f("ix_duty_unit_id"), table_name="duty")
    op.drop_table("duty")
