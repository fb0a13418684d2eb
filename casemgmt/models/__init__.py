"""Every model, imported so that metadata and Alembic see all tables."""

from casemgmt.models.attachment import Attachment
from casemgmt.models.audit import AuditChainHead, AuditCheckpoint, AuditEvent
from casemgmt.models.calendar import CalendarDay, CalendarYear
from casemgmt.models.case import (
    Case,
    HumanTask,
    OutboxMessage,
    ProcessDefinition,
    ProcessInstance,
)
from casemgmt.models.casework import Appeal, CallbackAttempt, Consultation, Transfer
from casemgmt.models.comment import CaseComment
from casemgmt.models.evaluation import BAD_LEVELS, LEVELS, Evaluation
from casemgmt.models.ledger import ExtensionRequest, LedgerEntry, LedgerNote
from casemgmt.models.org import Organization, Region, ServiceItem
from casemgmt.models.service_record import ServiceRecord
from casemgmt.models.user import ROLES, ApiToken, User

__all__ = [
    "Appeal",
    "CallbackAttempt",
    "Consultation",
    "ExtensionRequest",
    "LedgerEntry",
    "LedgerNote",
    "ServiceRecord",
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
    "HumanTask",
    "LEVELS",
    "Organization",
    "OutboxMessage",
    "ProcessDefinition",
    "ProcessInstance",
    "ROLES",
    "Region",
    "ServiceItem",
    "User",
]
