"""Persistence: the rows behind instansi, units, users, cases and what happens to them.

Times are stored as UTC. A case's ``version`` is SQLAlchemy's ``version_id_col``: a lost race
raises ``StaleDataError`` at flush, which the services report as ``stale_version``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.clock import utcnow
from workflow.db import Model, db

UtcDateTime = DateTime(timezone=True)
GENESIS = "0" * 64  # the "previous hash" of a chain's first event, and an empty chain's head
CLOSED_STATES = ("dicabut", "ditarik")


class Instansi(Model):
    """A ministry, agency or regional government (K/L/Pemda) that owns units."""

    __tablename__ = "instansi"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    units: Mapped[list[Unit]] = relationship(back_populates="instansi")


class Unit(Model):
    """A unit kerja: what is built and proposed. The seed's eligibility facts live here."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("instansi_id", "code", name="uq_unit_instansi_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_id: Mapped[int] = mapped_column(ForeignKey("instansi.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(50))
    eselon: Mapped[int] = mapped_column(Integer)
    strategic_service: Mapped[bool] = mapped_column(Boolean, default=False)
    rb_implemented: Mapped[bool] = mapped_column(Boolean, default=False)
    large_resources: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # PortalRB (issue 7): an affirmative-action unit, set by an admin; proposed as WBK-AFIRMASI.
    afirmasi: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    instansi: Mapped[Instansi] = relationship(back_populates="units")


user_unit = Table(
    "user_unit",
    db.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
    # "the coordinators of a unit" (notices, the duty sweep): the primary key leads by user.
    Index("ix_user_unit_unit_id", "unit_id"),
)


class User(Model):
    """A person with one role; ``units`` are the units they coordinate, ``instansi`` their scope."""

    __tablename__ = "app_user"
    # "the inspectorate of an instansi", "every TPN reviewer": who is told of a transition,
    # found by index whatever the number of coordinators (issue 11).
    __table_args__ = (Index("ix_app_user_role_instansi", "role", "instansi_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    instansi_id: Mapped[int | None] = mapped_column(ForeignKey("instansi.id"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="id")
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Sign-in on the pages (issue 8): a scrypt hash (``workflow.passwords``); None until the
    # person sets one through an invitation link. API tokens stay for machines.
    password_hash: Mapped[str | None] = mapped_column(String(255))

    units: Mapped[list[Unit]] = relationship(secondary=user_unit)
    instansi: Mapped[Instansi | None] = relationship()

    @property
    def unit_ids(self) -> set[int]:
        """The units the user coordinates: from ``units`` when loaded, else an index-only
        read of user_unit kept until the session next expires the user (issue 11)."""
        if "units" in self.__dict__:
            return {unit.id for unit in self.units}
        if "_unit_ids" not in self.__dict__:
            self.__dict__["_unit_ids"] = set(db.session.execute(
                select(user_unit.c.unit_id).where(user_unit.c.user_id == self.id)).scalars())
        return set(self.__dict__["_unit_ids"])


@event.listens_for(User, "expire")
def _forget_unit_ids(user: User, *_: Any) -> None:
    user.__dict__.pop("_unit_ids", None)


class ApiToken(Model):
    """A bearer token, stored as its SHA-256: the token itself is shown once, at creation."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class PasswordLink(Model):
    """A single-use, expiring link to set a password (``invite``) or reset it (``reset``),
    stored as the SHA-256 of its token: the token itself travels only in the e-mail."""

    __tablename__ = "password_link"
    __table_args__ = (CheckConstraint("purpose IN ('invite', 'reset')",
                                      name="purpose_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class IntegrationToken(Model):
    """A token PortalRB uses for one instansi (issue 7): stored as its SHA-256, shown once.

    Accepted only under ``/api/portalrb``; a user's :class:`ApiToken` is not accepted there.
    """

    __tablename__ = "integration_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    instansi_id: Mapped[int] = mapped_column(ForeignKey("instansi.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    instansi: Mapped[Instansi] = relationship()


class Case(Model):
    """One unit, one target predicate, opened in a year under a pinned regulation version."""

    __tablename__ = "zi_case"
    __table_args__ = (
        # DOMAIN.md: one open case per unit and target at a time, enforced by the database too.
        Index(
            "uq_zi_case_open_unit_target",
            "unit_id",
            "target",
            unique=True,
            sqlite_where=text("state NOT IN ('dicabut', 'ditarik')"),
            postgresql_where=text("state NOT IN ('dicabut', 'ditarik')"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    target: Mapped[str] = mapped_column(String(4))
    year: Mapped[int] = mapped_column(Integer)
    regulation: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    building_since: Mapped[date | None] = mapped_column(Date)
    designated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The rubric version the case was opened under (issue 6): nothing loaded later changes
    # its scoring. ``updated_at`` moves with every write, so every write bumps ``version``.
    rubric_id: Mapped[str | None] = mapped_column(String(60))
    rubric_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The head of the case's audit chain (issue 9): a deleted newest event, or a deleted
    # chain, no longer matches it. Moved by a Core UPDATE, so it does not bump ``version``.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audit_hash: Mapped[str] = mapped_column(String(64), default=GENESIS, server_default=GENESIS)

    unit: Mapped[Unit] = relationship()
    declaration: Mapped[Declaration | None] = relationship(back_populates="case")
    # Read with the locked case on a transition (one statement for all a transition needs).
    portalrb_fetch: Mapped[PortalrbFetch | None] = relationship(viewonly=True)

    __mapper_args__ = {"version_id_col": version}


class Declaration(Model):
    """Pencanangan: the Pakta Integritas coverage, the head's signature, commitment and team."""

    __tablename__ = "declaration"
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"), primary_key=True)
    staff_total: Mapped[int] = mapped_column(Integer)
    pakta_signed: Mapped[int] = mapped_column(Integer)
    head_signed: Mapped[bool] = mapped_column(Boolean)
    commitment_statement: Mapped[str] = mapped_column(Text, default="")
    team: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))

    case: Mapped[Case] = relationship(back_populates="declaration")


class Assessment(Model):
    """A self, TPI or TPN assessment in summary form, with its computed evaluation.

    Replaceable until a decision relies on it (``decided_event_id``); after that a new row
    is written, so the audit trail keeps the figures each decision used.
    """

    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    regulation: Mapped[str] = mapped_column(String(40))
    areas: Mapped[dict[str, str]] = mapped_column(JSON)
    hasil: Mapped[dict[str, str]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_event_id: Mapped[int | None] = mapped_column(ForeignKey("audit_event.id"))


class RubricVersion(Model):
    """A rubric version as loaded (``zi rubric load``): the document itself, by id and hash."""

    __tablename__ = "rubric_version"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    format: Mapped[str] = mapped_column(String(20))
    regulation: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thresholds: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Answer(Model):
    """The current answer to one question of one worksheet (self, tpi or tpn) of a case.

    ``revision`` counts its changes; every revision, this one included, is kept in
    :class:`AnswerRevision`. A reviewer's row (tpi, tpn) may flag ``needs_revision``.
    """

    __tablename__ = "lke_answer"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "item_id", name="uq_lke_answer_case_kind_item"),
        CheckConstraint("kind IN ('self', 'tpi', 'tpn')", name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"))
    kind: Mapped[str] = mapped_column(String(4))
    item_id: Mapped[str] = mapped_column(String(160))
    answer: Mapped[str | None] = mapped_column(String(20))
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    needs_revision: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    answered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AnswerRevision(Model):
    """Every version of every answer, so a return can show what changed since."""

    __tablename__ = "lke_answer_revision"
    __table_args__ = (
        UniqueConstraint("answer_id", "revision", name="uq_lke_answer_revision"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("lke_answer.id"))
    revision: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(String(20))
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    needs_revision: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Evidence(Model):
    """Bukti dukung for one question of a case's worksheet: a link, or a stored file.

    Files are stored by their SHA-256 behind :mod:`workflow.lke.storage`; a replaced or
    deleted piece of evidence keeps its row (``replaced_by``, ``deleted_at``) and its file.
    """

    __tablename__ = "lke_evidence"
    __table_args__ = (Index("ix_lke_evidence_case_item", "case_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"))
    kind: Mapped[str] = mapped_column(String(4), default="self")
    item_id: Mapped[str] = mapped_column(String(160))
    link: Mapped[str | None] = mapped_column(String(2000))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("lke_evidence.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class WorksheetMark(Model):
    """What a decision reads of one worksheet, kept beside its answers
    (:mod:`workflow.lke.standing`): a transition reads this row instead of the whole sheet.

    Database triggers (migration ``0010_worksheet_marks``) delete the row whenever the
    sheet's answers, or for the unit's sheet its evidence, change, whoever writes them: a
    row is never stale, at worst absent (the sheet is then read and marked in full).
    """

    __tablename__ = "lke_mark"
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    standing: Mapped[dict[str, Any]] = mapped_column(JSON)


class PortalrbFetch(Model):
    """PortalRB's last fetch of a case's answers: when, with which token, what it got.

    ``content_sha256`` hashes what was served with evidence files named by content rather
    than by their (time-stamped) signed links, so it can be recomputed to see whether the
    proposal changed since; ``notified_at``: the inspectorate was told it did. A row of its
    own, so a fetch never bumps the case's version under a user's feet.
    """

    __tablename__ = "portalrb_fetch"
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("integration_token.id"), index=True)
    tahun: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body_sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEvent(Model):
    """Append-only history of a case; each row carries the hash of the previous one."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_audit_event_case_seq"),
        # The duty sweep finds recent returns (tpi_return, tpn_return) through this index.
        Index("ix_audit_event_action_occurred_at", "action", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up through uq_audit_event_case_seq (no index of its own: one less per event).
    case_id: Mapped[int] = mapped_column(ForeignKey("zi_case.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    case_version: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Model):
    """An e-mail to send, written in the same transaction as the change it tells about.

    ``idempotency_key`` makes writing it twice impossible; the dispatcher claims rows with a
    lease (``lease_until``) and records every attempt.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # Only held reminders have a digest: the others are not in the index (issue 11).
        Index("ix_outbox_message_digest_sent_in", "digest_sent_in",
              postgresql_where=text("digest_sent_in IS NOT NULL"),
              sqlite_where=text("digest_sent_in IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="id")
    template: Mapped[str] = mapped_column(String(60))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Delivery (issue 3): the RFC 5322 Message-ID fixed before the first attempt, the
    # dispatcher run holding the lease, and the digest e-mail a held reminder went out in.
    rfc_message_id: Mapped[str | None] = mapped_column(String(255))
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    digest_sent_in: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    # Retry budget (issue 9): a temporary failure after this instant is final. Fixed at the
    # first claim; ``zi outbox retry`` clears it, so a re-queued message gets a new budget.
    give_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxAttempt(Model):
    """One try at handing an outbox message to the SMTP server, and how it ended.

    ``outcome`` is ``sent``, ``temporary`` (retried later) or ``permanent`` (given up);
    ``started`` while under way, ``unknown`` when the dispatcher died before recording it,
    ``requeued`` for an operator's retry.
    """

    __tablename__ = "outbox_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(10))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class Duty(Model):
    """An obligation of a unit (DOMAIN.md: Duties of a building unit), created by the sweep.

    ``subject`` + ``period`` name the occasion (``unit:5`` / ``2026``, ``case:9`` /
    ``2026-Q3``, ``case:9`` / ``return:4``); with ``kind`` they are unique, so a duty can
    never be created twice. ``due_date`` is a calendar date in Asia/Jakarta.
    """

    __tablename__ = "duty"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "period", name="uq_duty_kind_subject_period"),
        Index("ix_duty_state_due_date", "state", "due_date"),
        CheckConstraint("state IN ('open', 'submitted', 'acknowledged', 'overdue', 'waived')",
                        name="state"),
        CheckConstraint("kind IN ('year_end_report', 'maintenance_check', "
                        "'tpi_monitoring_report', 'improvement_plan', 'budget_allocation', "
                        "'proposal_deadline')", name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("zi_case.id"), index=True)
    subject: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="open")
    report: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[str] | None] = mapped_column(JSON)
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    waive_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waived_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    waived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The head of the duty's own audit chain (``DutyEvent``), as on the case.
    audit_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audit_hash: Mapped[str] = mapped_column(String(64), default=GENESIS, server_default=GENESIS)

    unit: Mapped[Unit] = relationship()


sweep_mark = Table(
    "sweep_mark",
    db.metadata,
    # The last completed sweep (workflow.sweep): its Jakarta day, the rules it applied and a
    # fingerprint of what it read. One row: a sweep of another day replaces it.
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("rules", Text, nullable=False),
    Column("inputs", Text, nullable=False),
    Column("swept_at", UtcDateTime, nullable=False),
    CheckConstraint("id = 1", name="single"),
)


class DutyEvent(Model):
    """Append-only history of a duty (submit, acknowledge, waive) with what was handed in,
    chained by keyed hashes like the case's ``AuditEvent``."""

    __tablename__ = "duty_event"
    __table_args__ = (UniqueConstraint("duty_id", "seq", name="uq_duty_event_duty_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
