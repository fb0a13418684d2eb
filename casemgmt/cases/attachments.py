"""Evidence files uploaded through a task's or a case's form: checked for type and size, stored, audited."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from casemgmt import audit, forms
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import Attachment, Case, HumanTask, TaskStatus, User

DEFAULT_ACCEPT = (".pdf", ".jpg", ".jpeg", ".png")
#: how much evidence one task and one case may hold
MAX_FILES_PER_TASK = 20
MAX_BYTES_PER_TASK = 50 * 1024 * 1024
MAX_FILES_PER_CASE = 100
MAX_BYTES_PER_CASE = 200 * 1024 * 1024
DEFAULT_MAX_MB = 10
#: the stored content type comes from the extension, never from what the browser claimed
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".txt": "text/plain",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
}
#: the first bytes a file of that type starts with; a mismatch means the name lies
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}


def clean_name(name: str) -> str:
    """Return a file name without folders or control characters, at most 200 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    return base[-200:] or "file"


def extension(name: str) -> str:
    """Return the lower-case extension of a file name, with its dot."""
    match = re.search(r"\.[A-Za-z0-9]{1,10}$", name)
    return match.group(0).lower() if match else ""


def check_file(spec: dict, name: str, content: bytes) -> str:
    """Return the content type of an acceptable file for a form field; raise InvalidInput naming the field."""
    accept = tuple(a.lower() for a in spec.get("accept") or DEFAULT_ACCEPT)
    limit = spec.get("max_size_mb") or DEFAULT_MAX_MB
    ext = extension(name)
    problem = None
    if ext not in accept or ext not in CONTENT_TYPES:
        problem = f"文件类型只能是 {'、'.join(accept)}"
    elif not content:
        problem = "文件是空的"
    elif len(content) > limit * 1024 * 1024:
        problem = f"文件不能超过 {limit} MB"
    elif ext in SIGNATURES and not content.startswith(SIGNATURES[ext]):
        problem = f"文件内容与扩展名 {ext} 不符"
    if problem:
        raise InvalidInput("附件不符合要求", details={spec["name"]: [f"{name}：{problem}"]})
    return CONTENT_TYPES[ext]


def _check_quota(task: HumanTask | None, case_id: int, field: str, size: int) -> None:
    """Refuse a file past the task's or the case's quota (count and bytes), naming the limit."""
    checks: list[tuple[str, Any, int, int, int]] = [
        ("该工单", Attachment.case_id, case_id, MAX_FILES_PER_CASE, MAX_BYTES_PER_CASE)
    ]
    if task is not None:
        checks.insert(0, ("该任务", Attachment.task_id, task.id, MAX_FILES_PER_TASK, MAX_BYTES_PER_TASK))
    for where, column, value, max_files, max_bytes in checks:
        count, total = db.session.execute(
            select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0)).where(column == value)
        ).one()
        if count + 1 > max_files:
            raise InvalidInput("附件数量超过上限", details={field: [f"{where}最多 {max_files} 个附件"]})
        if total + size > max_bytes:
            limit = max_bytes // (1024 * 1024)
            raise InvalidInput("附件总大小超过上限", details={field: [f"{where}附件合计不能超过 {limit} MB"]})


def store_upload(task: HumanTask, spec: dict, name: str, content: bytes, user: User, now: datetime) -> Attachment:
    """Store a file uploaded for a file field of the task's form, and audit it."""
    authorize(user, Action.TASK_UPLOAD, task=task)
    if task.status != TaskStatus.OPEN or task.assignee_id != user.id:
        raise TaskNotOpen("只能为本人已认领且未办结的任务上传附件")
    if spec.get("type") != "file":
        raise InvalidInput("该字段不能上传文件", details={spec.get("name", "_schema"): ["不是文件字段"]})
    row = _stored(task.case_id, task, spec, name, content, user, now)
    _audit_upload(row, task, user, now)
    return row


def _stored(
    case_id: int, task: HumanTask | None, spec: dict, name: str, content: bytes, user: User, now: datetime
) -> Attachment:
    """Check a file against its field and the case's quota, and store it (of a task, or of the case alone)."""
    name = clean_name(name)
    content_type = check_file(spec, name, content)
    _check_quota(task, case_id, spec["name"], len(content))
    row = Attachment(
        case_id=case_id,
        task_id=task.id if task else None,
        field=spec["name"],
        name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by_id=user.id,
        uploaded_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def store_case_upload(
    case: Case, spec: dict, name: str, content: bytes, user: User, now: datetime, action: Action
) -> Attachment:
    """Store a file uploaded with a case's own form (an appeal's, an extension's evidence), outside any task."""
    authorize(user, action, case=case)
    if spec.get("type") != "file":
        raise InvalidInput("该字段不能上传文件", details={spec.get("name", "_schema"): ["不是文件字段"]})
    row = _stored(case.id, None, spec, name, content, user, now)
    payload = {"attachment_id": row.id, "field": row.field, "name": row.name, "size": row.size, "sha256": row.sha256}
    audit.record(
        "attachment_uploaded",
        actor=Actor.of(user),
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload=payload,
    )
    return row


def case_files(case_id: int, ids: list[int]) -> list[Attachment]:
    """Return the attachments of the case among the given ids."""
    if not ids:
        return []
    stmt = select(Attachment).where(Attachment.case_id == case_id, Attachment.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(Attachment.id)))


def _audit_upload(row: Attachment, task: HumanTask, user: User, now: datetime) -> None:
    audit.record(
        "attachment_uploaded",
        actor=Actor.of(user, task.candidate_role),
        at=now,
        region_id=task.region_id,
        case_id=task.case_id,
        definition_id=task.case.definition_id,
        payload={
            "attachment_id": row.id,
            "task_id": task.id,
            "element": task.element_id,
            "field": row.field,
            "name": row.name,
            "size": row.size,
            "sha256": row.sha256,
        },
    )


def file_ref(row: Attachment) -> dict:
    """Return the reference a form's file field stores for an attachment."""
    return {"id": row.id, "name": row.name, "size": row.size, "content_type": row.content_type}


def task_uploads(task: HumanTask, field: str, ids: list[int]) -> list[Attachment]:
    """Return attachments already uploaded for this task's field, among the given ids."""
    if not ids:
        return []
    stmt = select(Attachment).where(Attachment.task_id == task.id, Attachment.field == field, Attachment.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(Attachment.id)))


def validate_case_form(definition: dict, data: dict, case_id: int) -> dict:
    """Validate form data for a case: fields by the form, then file references against the case's attachments."""
    clean = forms.validate_form(definition, data)
    check_file_refs(definition, clean, case_id)
    return clean


def check_file_refs(definition: dict, data: dict, case_id: int) -> None:
    """Refuse, naming the field, a file reference that is not an attachment of the case (another case's, or none)."""
    problems: dict[str, list[str]] = {}
    for spec in definition.get("fields", []):
        if spec.get("type") != "file" or not data.get(spec["name"]):
            continue
        value = data[spec["name"]]
        refs = value if isinstance(value, list) else [value]
        ids = {ref["id"] for ref in refs}
        found = set(
            db.session.scalars(select(Attachment.id).where(Attachment.id.in_(ids), Attachment.case_id == case_id))
        )
        if ids - found:
            missing = "、".join(str(i) for i in sorted(ids - found))
            problems[spec["name"]] = [f"附件 {missing} 不是本工单的附件"]
    if problems:
        raise InvalidInput("附件引用有误", details=problems)
