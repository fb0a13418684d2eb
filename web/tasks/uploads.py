"""Evidence files posted with a task's form: stored at once, so a refused form loses none of them."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage

from casemgmt.cases import attachments, operations
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import HumanTask, TaskStatus, User
from web.ui import now
from web.ui.formview import Submission, keep_name


def store_files(
    task: HumanTask, definition: dict, sub: Submission, files: dict[str, list[FileStorage]], user: User
) -> dict[str, list[str]]:
    """Store each file field's new uploads, put the references in the data; return upload errors by field."""
    errors: dict[str, list[str]] = {}
    posted = any(f and f.filename for uploads in files.values() for f in uploads)
    if posted and task.status == TaskStatus.OPEN and task.assignee_id is None:
        operations.claim_task(task.id, user, now())  # evidence belongs to whoever holds the task: take it
    for spec in (s for s in definition["fields"] if s["type"] == "file"):
        name = spec["name"]
        rows = attachments.task_uploads(task, name, sub.raw.get(keep_name(name), []))
        for upload in (f for f in files.get(name, []) if f and f.filename):
            try:
                rows.append(attachments.store_upload(task, spec, upload.filename, upload.read(), user, now()))
            except InvalidInput as err:
                errors.setdefault(name, []).extend((err.details or {}).get(name, [err.message]))
            except TaskNotOpen as err:
                errors.setdefault(name, []).append(err.message)
        if not spec.get("multiple"):
            rows = rows[-1:]
        sub.raw[keep_name(name)] = [r.id for r in rows]
        refs = [attachments.file_ref(r) for r in rows]
        sub.data[name] = refs if spec.get("multiple") else (refs[0] if refs else None)
    return errors


def kept_files(task: HumanTask, definition: dict, raw: dict) -> dict[str, list]:
    """Return, per file field, the attachments a form being shown again already holds."""
    return {
        s["name"]: attachments.task_uploads(task, s["name"], raw.get(keep_name(s["name"]), []))
        for s in definition["fields"]
        if s["type"] == "file"
    }
