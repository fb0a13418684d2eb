"""Domain errors. The web layer maps them to HTTP responses; domain code never raises HTTP errors."""

from __future__ import annotations

#: marshmallow field messages in Chinese, shared by every schema
MSG_REQUIRED = {"required": "必填", "null": "不能为空", "invalid": "格式不正确"}
#: the same for an instant, which must carry its offset
AWARE = {
    **MSG_REQUIRED,
    "invalid": "必须是带时区的 ISO 时间，如 2025-09-26T10:00:00+08:00",
    "invalid_awareness": "必须带时区偏移，如 +08:00",
}


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "forbidden"


class InvalidInput(DomainError):
    """Bad input; `details` maps each bad field to its messages."""

    code = "invalid"


class FormInvalid(InvalidInput):
    code = "form_invalid"


class TaskNotOpen(DomainError):
    """The task was completed, cancelled, timed out or claimed by someone else."""

    code = "task_not_open"


class ConcurrentUpdate(DomainError):
    code = "conflict"


class CalendarInvalid(InvalidInput):
    code = "calendar_invalid"


class CalendarMissing(DomainError):
    code = "calendar_missing"


class ExpressionRefused(DomainError):
    """An expression in a diagram uses something outside the whitelist."""

    code = "expression_refused"


class DiagramInvalid(DomainError):
    """A bundle failed validation; `details` is a list of {file, element, message}."""

    code = "diagram_invalid"


class OperationFailed(DomainError):
    code = "operation_failed"


class EngineError(DomainError):
    """The diagram failed while running (an expression raised, a variable was missing); names the element."""

    code = "engine_error"
