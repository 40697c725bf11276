"""trust (issue 9): keyed audit chains with their heads, duty events, append-only event
tables on PostgreSQL, revocable tokens, a time budget per outbox message

Revision ID: 0005_trust
Revises: 0006_portalrb

Existing chains are resealed with the configured audit key (``AUDIT_KEY``,
``AUDIT_KEY_FILE`` or ``instance/audit.key``) before the triggers make them append-only.
"""

from alembic import op
import sqlalchemy as sa

from workflow.audit import CASE_FIELDS, event_content, keyed_hash
from workflow.models import GENESIS
from workflow.settings import current_audit_key

revision = "0005_trust"
down_revision = "0006_portalrb"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
APPEND_ONLY = ("audit_event", "duty_event")


def upgrade():
    # Plain ADD COLUMNs (no batch rebuild of tables that others reference).
    for table in ("zi_case", "duty"):
        op.add_column(table, sa.Column("audit_seq", sa.Integer(), nullable=False,
                                       server_default="0"))
        op.add_column(table, sa.Column("audit_hash", sa.String(length=64), nullable=False,
                                       server_default=GENESIS))
    op.add_column("api_token", sa.Column("revoked_at", UTC, nullable=True))
    op.add_column("outbox_message", sa.Column("give_up_at", UTC, nullable=True))
    op.create_table(
        "duty_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["duty.id"], name=op.f("fk_duty_event_duty_id_duty")),
        sa.ForeignKeyConstraint(["actor_id"], ["app_user.id"],
                                name=op.f("fk_duty_event_actor_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_event")),
        sa.UniqueConstraint("duty_id", "seq", name="uq_duty_event_duty_seq"),
    )
    op.create_index(op.f("ix_duty_event_duty_id"), "duty_event", ["duty_id"], unique=False)
    _reseal_cases()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION zi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION zi_append_only()")


def _reseal_cases():
    """Rehash every case's chain with the key, and write its head on the case."""
    bind = op.get_bind()
    events = sa.table(
        "audit_event", sa.column("id", sa.Integer()), sa.column("case_id", sa.Integer()),
        sa.column("seq", sa.Integer()), sa.column("action", sa.String()),
        sa.column("actor_id", sa.Integer()), sa.column("actor_email", sa.String()),
        sa.column("role", sa.String()), sa.column("from_state", sa.String()),
        sa.column("to_state", sa.String()), sa.column("reason", sa.Text()),
        sa.column("score", sa.JSON()), sa.column("case_version", sa.Integer()),
        sa.column("occurred_at", UTC), sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()))
    cases = sa.table("zi_case", sa.column("id", sa.Integer()), sa.column("audit_seq", sa.Integer()),
                     sa.column("audit_hash", sa.String()))
    rows = bind.execute(sa.select(events).order_by(events.c.case_id, events.c.seq)).all()
    if not rows:
        return
    key = current_audit_key()
    case_id, prev_hash = None, GENESIS
    for row in rows:
        if row.case_id != case_id:
            case_id, prev_hash = row.case_id, GENESIS
        fields = event_content(row, CASE_FIELDS)
        fields["prev_hash"] = prev_hash
        prev_hash = keyed_hash(key, fields)
        bind.execute(sa.update(events).where(events.c.id == row.id)
                     .values(prev_hash=fields["prev_hash"], hash=prev_hash))
        bind.execute(sa.update(cases).where(cases.c.id == row.case_id)
                     .values(audit_seq=row.seq, audit_hash=prev_hash))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS zi_append_only()")
    op.drop_index(op.f("ix_duty_event_duty_id"), table_name="duty_event")
    op.drop_table("duty_event")
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_column("give_up_at")
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("revoked_at")
    for table in ("duty", "zi_case"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("audit_hash")
            batch_op.drop_column("audit_seq")
