"""Read rule files sent by the editors (JSON) or uploaded from the desktop (multipart), each capped at 2 MiB."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from flask import abort, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from casemgmt.engine.validate import MAX_FILE_BYTES
from casemgmt.errors import ConcurrentUpdate, InvalidInput
from casemgmt.inputs import check_json, json_depth_exceeds, strict_int
from casemgmt.models import Region
from casemgmt.rules import bundles


def too_large(name: str):
    """Answer 413 naming the file."""
    abort(413, description=_("The file %(name)s is larger than 2 MiB.", name=name))


def json_body(schema: Schema) -> dict:
    """Load an editor's JSON body with the schema; a file over 2 MiB is 413."""
    payload = _json_object()
    files = payload.get("files")
    for name, text in files.items() if isinstance(files, dict) else ():
        if isinstance(text, str) and len(text.encode("utf-8")) > MAX_FILE_BYTES:
            too_large(name)
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise InvalidInput(_("The input is not valid."), details=err.messages) from err


def _json_object() -> dict:
    """Return the JSON object of the body, with nesting, characters and integers checked first."""
    raw = request.get_data(cache=True)
    try:
        payload = None if json_depth_exceeds(raw) else json.loads(raw)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise InvalidInput(_("The request body must be a JSON object."))
    check_json(payload)
    return payload


def json_text(name: str) -> str:
    """Return the `text` of an editor's JSON body (a file being edited), at most 2 MiB."""
    text = _json_object().get("text")
    if not isinstance(text, str):
        raise InvalidInput(_("The request body must be a JSON object."))
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        too_large(name)
    return text


def uploaded_files() -> dict[str, str]:
    """Return the uploaded files by bundle name (forms go under forms/), read as UTF-8, each at most 2 MiB."""
    files: dict[str, str] = {}
    for storage in request.files.getlist("files"):
        name = PurePosixPath((storage.filename or "").replace("\\", "/")).name
        if not name:
            continue
        raw = storage.stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            too_large(name)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidInput(_("The file %(name)s is not UTF-8 text.", name=name), details={"files": [name]}) from err
        files[(bundles.FORM_PREFIX if name.endswith(".json") else "") + name] = text
    if not files:
        raise InvalidInput(_("Choose at least one .bpmn, .dmn or form .json file."))
    return files


def expected_version() -> int | None:
    """Return the active version the editor started from (?active=N), if it said."""
    raw = request.args.get("active") or request.form.get("active")
    return strict_int(raw)


def ensure_still_active(place: Region, expected: int | None) -> None:
    """Refuse to deploy edits made on a version that another administrator has since replaced."""
    active = bundles.get_active(place.id, required=False)
    if expected is not None and active is not None and active.version != expected:
        raise ConcurrentUpdate(
            _(
                "Version %(new)s was deployed after you opened version %(old)s: reload the "
                "editor and make your change again.",
                new=active.version,
                old=expected,
            )
        )
