"""A case's own forms (an extension request, an appeal) read from a page, evidence files stored at once."""

from __future__ import annotations

from flask import g, request

from casemgmt.access.policy import Action
from casemgmt.cases import attachments
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import Case
from casemgmt.rules import bundles
from web.ui import now
from web.ui.formview import Submission, keep_name, read_submission


def case_form(case: Case, key: str) -> dict:
    """Return the form definition of the case's rule version, NotFound when its region has none."""
    definition = bundles.forms_of(case.definition).get(key)
    if definition is None:
        raise NotFound(f"{case.region.name}的规则没有该环节")
    return definition


def read_case_form(case: Case, definition: dict, action: Action) -> tuple[Submission, dict[str, list[str]]]:
    """Read the posted form; store each file field's new uploads on the case; return upload errors by field."""
    sub = read_submission(definition, request.form)
    errors: dict[str, list[str]] = {}
    for spec in (s for s in definition["fields"] if s["type"] == "file"):
        name = spec["name"]
        rows = attachments.case_files(case.id, sub.raw.get(keep_name(name), []))
        for upload in (f for f in request.files.getlist(name) if f and f.filename):
            try:
                rows.append(
                    attachments.store_case_upload(case, spec, upload.filename, upload.read(), g.user, now(), action)
                )
            except InvalidInput as err:
                errors.setdefault(name, []).extend((err.details or {}).get(name, [err.message]))
        if not spec.get("multiple"):
            rows = rows[-1:]
        sub.raw[keep_name(name)] = [r.id for r in rows]
        refs = [attachments.file_ref(r) for r in rows]
        sub.data[name] = refs if spec.get("multiple") else (refs[0] if refs else None)
    return sub, errors


def kept_case_files(case: Case, definition: dict, raw: dict) -> dict[str, list]:
    """Return, per file field, the case's attachments a form being shown again already holds."""
    return {
        s["name"]: attachments.case_files(case.id, raw.get(keep_name(s["name"]), []))
        for s in definition["fields"]
        if s["type"] == "file"
    }
