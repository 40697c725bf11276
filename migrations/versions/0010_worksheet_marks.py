"""a worksheet's marks kept beside its answers, forgotten by trigger on any change (issue 11)

``lke_mark`` holds, per case and worksheet, what a transition reads of the sheet
(``workflow.lke.standing``). Triggers on ``lke_answer`` and ``lke_evidence`` delete a
sheet's row in the same transaction as any change to its answers or its evidence, whoever
makes it (the application, a script, a manual fix), so a kept row is never stale; a sheet
without one is read and marked in full. Existing sheets start without rows.

Revision ID: 0010_worksheet_marks
Revises: 0011_sweep_marks
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_worksheet_marks"
down_revision = "0011_sweep_marks"
branch_labels = None
depends_on = None

TABLES = ("lke_answer", "lke_evidence")
FORGET = "DELETE FROM lke_mark WHERE case_id = {row}.case_id AND kind = {row}.kind"


def upgrade():
    op.create_table(
        "lke_mark",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("zi_case.id"), primary_key=True),
        sa.Column("kind", sa.String(length=4), primary_key=True),
        sa.Column("standing", sa.JSON(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION zi_forget_mark() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN {FORGET.format(row="OLD")}; END IF;
                IF TG_OP <> 'DELETE' THEN {FORGET.format(row="NEW")}; END IF;
                RETURN NULL;
            END $$""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_forgets_mark AFTER INSERT OR UPDATE OR DELETE "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION zi_forget_mark()")
        return
    for table in TABLES:
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")),
                            ("DELETE", ("OLD",))):
            body = "; ".join(FORGET.format(row=row) for row in rows)
            op.execute(f"CREATE TRIGGER {table}_{event.lower()}_forgets_mark AFTER {event} "
                       f"ON {table} FOR EACH ROW BEGIN {body}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_forgets_mark ON {table}")
        op.execute("DROP FUNCTION IF EXISTS zi_forget_mark()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_forgets_mark")
    op.drop_table("lke_mark")
