"""Cases, their process definitions, instances and human tasks."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.evaluation import Evaluation
from casemgmt.models.org import Organization, Region
from casemgmt.models.types import CompactState, EnumText, JSONType, UTCDateTime, one_of
from casemgmt.models.user import User


class CaseStatus(StrEnum):
    """Where a case stands (cases.status)."""

    OPEN = "open"
    #: closed by its process (结案), or the process ended
    CLOSED = "closed"
    #: the review was revoked (verified as misjudged or malicious, or an appeal upheld); stays so when it ends
    REVOKED = "revoked"
    #: offered by the case search; nothing sets it yet
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    """Where a human task stands (human_tasks.status)."""

    OPEN = "open"
    COMPLETED = "completed"
    #: the engine no longer waits on it: a boundary timer, another branch or the end of the process took it away
    CANCELLED = "cancelled"


class ProcessDefinition(db.Model):
    """An immutable deployed bundle: diagrams and forms of one region and process."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("region_id", "process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    process_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: relative path -> file text, diagrams and forms; never updated after insert
    files: Mapped[dict] = mapped_column(JSONType, deferred=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")

    region: Mapped[Region] = relationship()


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_region_status_opened", "region_id", "status", "opened_at"),
        one_of("status", CaseStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(32), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    handling_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    status: Mapped[CaseStatus] = mapped_column(EnumText(CaseStatus), default=CaseStatus.OPEN)
    #: verification outcome: valid / misjudged / malicious, and how it was handled
    outcome: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: callback attempts recorded (callback_attempts rows): the last one's attempt_no, the next one's minus one
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    region: Mapped[Region] = relationship()
    evaluation: Mapped[Evaluation] = relationship()
    handling_org: Mapped[Organization] = relationship()
    definition: Mapped[ProcessDefinition] = relationship()
    instance: Mapped["ProcessInstance"] = relationship(back_populates="case", uselist=False)


class ProcessInstance(db.Model):
    """The engine state of one case, stored without its spec."""

    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    state: Mapped[str] = mapped_column(CompactState)
    #: earliest waiting timer; the timer worker polls this index
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    is_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: optimistic lock, checked on every save
    version_no: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version_no}

    case: Mapped[Case] = relationship(back_populates="instance")
    definition: Mapped[ProcessDefinition] = relationship()


class HumanTask(db.Model):
    """One READY user task; the inbox is a plain indexed query on this table."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        #: each inbox view's filters lead, its keyset order (due_at, id) ends: migration 0090
        Index(
            "ix_human_tasks_role_org_due",
            "status",
            "candidate_role",
            "candidate_org_path",
            "due_at",
            "id",
            postgresql_ops={"candidate_org_path": "varchar_pattern_ops"},
        ),
        Index("ix_human_tasks_assignee_due", "assignee_id", "status", "due_at", "id"),
        #: the done view asks for completed_by_id = user: tasks nobody completed yet are not indexed
        Index(
            "ix_human_tasks_done_by",
            "completed_by_id",
            "status",
            "completed_at",
            "id",
            postgresql_where=text("completed_by_id IS NOT NULL"),
            sqlite_where=text("completed_by_id IS NOT NULL"),
        ),
        #: matches the inbox's ORDER BY due_at, id, so a page stops after LIMIT matching rows
        Index("ix_human_tasks_region_status_due", "region_id", "status", "due_at", "id"),
        Index("ix_human_tasks_case", "case_id", "status"),
        #: only 督办 tasks have one: the others are not indexed
        Index(
            "ix_human_tasks_supervised_task_id",
            "supervised_task_id",
            postgresql_where=text("supervised_task_id IS NOT NULL"),
            sqlite_where=text("supervised_task_id IS NOT NULL"),
        ),
        UniqueConstraint("instance_id", "spiff_task_id"),
        one_of("status", TaskStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    #: the BPMN element id of the user task
    element_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(256))
    form_key: Mapped[str] = mapped_column(String(64))
    candidate_role: Mapped[str] = mapped_column(String(16))
    candidate_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: copy of the candidate org's path: "my units" is a prefix match on an index
    candidate_org_path: Mapped[str] = mapped_column(String(512))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[TaskStatus] = mapped_column(EnumText(TaskStatus), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_expr: Mapped[str | None] = mapped_column(String(256))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_date: Mapped[date | None] = mapped_column(Date)
    is_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: set by a timer (督办) when the deadline passed
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the form data as entered (validated), kept for the case history
    data: Mapped[dict | None] = mapped_column(JSONType)
    draft: Mapped[dict | None] = mapped_column(JSONType)
    #: a 督办 task: the late task it was opened for (its timer fired on that task's deadline)
    supervised_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))

    case: Mapped[Case] = relationship()
    #: set on a row built with its instance (cases/instances.create_row), so that a flush inserting both inserts
    #: the instance first (a new case's instance and first tasks go in together; the column alone does not say)
    instance: Mapped[ProcessInstance] = relationship()
    candidate_org: Mapped[Organization] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    supervised_task: Mapped["HumanTask | None"] = relationship(remote_side=[id], foreign_keys=[supervised_task_id])


class OutboxState(StrEnum):
    """Where an outbox message stands (outbox_messages.state)."""

    QUEUED = "queued"
    #: a relay claimed it and is delivering it now
    SENDING = "sending"
    SENT = "sent"
    #: the last try failed; retried at next_attempt_at
    FAILED = "failed"
    #: gave up after the region's maximum tries; an administrator may retry
    DEAD = "dead"


class OutboxMessage(db.Model):
    """A message to an evaluator, a unit or a platform; the relay (casemgmt/notices/relay.py) delivers it."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_state_next", "state", "next_attempt_at"),
        one_of("state", OutboxState),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[OutboxState] = mapped_column(
        EnumText(OutboxState), default=OutboxState.QUEUED, server_default=OutboxState.QUEUED.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: when the relay may try (again); None means at once
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the relay holding the message, and until when its claim stands (a crashed relay's claim expires)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: the region whose adapters deliver it (a case's region, or the sender's for messages without a case)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    #: what the notice is (feedback, extension, report, upload, results...): picks the template and adapter
    kind: Mapped[str] = mapped_column(String(32), default="notice", server_default="notice")

    case: Mapped[Case | None] = relationship()
