"""one index fewer for each audit event and outbox row a transition writes (issue 11)

``audit_event.case_id`` had an index of its own beside the unique ``(case_id, seq)``, which
serves every lookup by case. ``outbox_message.digest_sent_in`` is empty but for reminders
held for a daily digest, so its index now holds only the rows that have one (the
dispatcher's lookup by digest and the foreign key's check still use it).

Revision ID: 0012_transition_indexes
Revises: 0010_worksheet_marks
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_transition_indexes"
down_revision = "0010_worksheet_marks"
branch_labels = None
depends_on = None

HELD = sa.text("digest_sent_in IS NOT NULL")


def upgrade():
    op.drop_index("ix_audit_event_case_id", table_name="audit_event")
    op.drop_index("ix_outbox_message_digest_sent_in", table_name="outbox_message")
    op.create_index("ix_outbox_message_digest_sent_in", "outbox_message", ["digest_sent_in"],
                    postgresql_where=HELD, sqlite_where=HELD)


def downgrade():
    op.drop_index("ix_outbox_message_digest_sent_in", table_name="outbox_message")
    op.create_index("ix_outbox_message_digest_sent_in", "outbox_message", ["digest_sent_in"])
    op.create_index("ix_audit_event_case_id", "audit_event", ["case_id"])
