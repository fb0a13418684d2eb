"""Every model, imported so that metadata and Alembic see all tables."""

from casemgmt.models.attachment import Attachment
from casemgmt.models.audit import AuditChainHead, AuditCheckpoint, AuditEvent
from casemgmt.models.calendar import CalendarDay, CalendarYear
from casemgmt.models.case import (
    Case,
    CaseStatus,
    HumanTask,
    OutboxMessage,
    OutboxState,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from casemgmt.models.casework import Appeal, AppealStatus, CallbackAttempt, CallbackResult, Consultation, Transfer
from casemgmt.models.comment import CaseComment
from casemgmt.models.evaluation import BAD_LEVELS, LEVELS, Evaluation, FlagStatus
from casemgmt.models.heartbeat import WorkerHeartbeat
from casemgmt.models.ledger import ExtensionRequest, ExtensionStatus, LedgerEntry, LedgerNote, LedgerStatus
from casemgmt.models.notice import NoticeRead
from casemgmt.models.org import Organization, Region, ServiceItem
from casemgmt.models.service_record import ServiceGroupKind, ServiceRecord, ServiceRecordStatus
from casemgmt.models.stats import COUNTER_COLUMNS, ReportKind, StatReport, StatRollup
from casemgmt.models.user import ROLES, ApiToken, User

__all__ = [
    "Appeal",
    "AppealStatus",
    "CallbackAttempt",
    "CallbackResult",
    "CaseStatus",
    "Consultation",
    "ExtensionRequest",
    "ExtensionStatus",
    "LedgerEntry",
    "LedgerNote",
    "LedgerStatus",
    "NoticeRead",
    "ServiceGroupKind",
    "ServiceRecord",
    "ServiceRecordStatus",
    "StatRollup",
    "StatReport",
    "ReportKind",
    "COUNTER_COLUMNS",
    "TaskStatus",
    "Transfer",
    "Attachment",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "ApiToken",
    "BAD_LEVELS",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseComment",
    "Evaluation",
    "FlagStatus",
    "HumanTask",
    "LEVELS",
    "Organization",
    "OutboxMessage",
    "OutboxState",
    "ProcessDefinition",
    "ProcessInstance",
    "ROLES",
    "Region",
    "ServiceItem",
    "User",
    "WorkerHeartbeat",
]
