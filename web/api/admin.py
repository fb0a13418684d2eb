"""Administrators' JSON API: rule versions, validation, dry runs, deploys, rollbacks, case migration, calendars.

Every route is /api/v1/admin/<region>/...: token auth, admin role of that region (another region answers
404, another role 403). Every change is an audit event. Files come as JSON `{"files": {name: text}}` or as
multipart parts `files` (diagrams) and `forms` (form JSON); each is capped at 2 MiB (413).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, request
from marshmallow import ValidationError

from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.calendar import changes as calendar_changes
from casemgmt.db import db
from casemgmt.engine.validate import MAX_FILE_BYTES
from casemgmt.errors import InvalidInput
from casemgmt.inputs import MAX_ID, is_digits, strict_int
from casemgmt.models import ProcessDefinition, Region
from casemgmt.rules import dry_run, proposals, versions
from casemgmt.rules import migration as case_migration
from casemgmt.rules.bundles import bundle_sha256, get_active
from casemgmt.rules.diff import diff_files
from casemgmt.rules.schemas import CalendarChangeSchema, DeploySchema, MigrationSchema, RollbackSchema, UploadSchema
from web.api.auth import token_required
from web.api.inputs import load_json, now, read_json
from web.api.present import iso

bp = Blueprint("admin", __name__)

ADMIN = "/admin/<region>"
TOO_LARGE = "文件 {name} 超过 2 MiB，请精简后再上传"


def _region(code: str, action: Action) -> Region:
    return versions.admin_region(g.user, code, action)


def _actor() -> Actor:
    return Actor.of(g.user, Role.ADMIN)


def _national_regions() -> tuple[str, ...]:
    return tuple(current_app.config.get("NATIONAL_ADMIN_REGIONS", ()))


# --- uploads ------------------------------------------------------------------------------


def _upload(schema) -> dict:
    """Read files and fields from a JSON or multipart body; a file over 2 MiB is 413."""
    payload = _multipart() if request.mimetype == "multipart/form-data" else read_json()
    if not isinstance(payload, dict):
        raise InvalidInput("请求体必须是 JSON 对象或 multipart 表单", details={"_body": ["无法读取"]})
    files = payload.get("files")
    for name, text in files.items() if isinstance(files, dict) else []:
        if isinstance(text, str) and len(text.encode("utf-8")) > MAX_FILE_BYTES:
            abort(413, description=TOO_LARGE.format(name=name))
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise InvalidInput("输入有误", details=err.messages) from err


def _multipart() -> dict:
    files = {}
    for field, storage in request.files.items(multi=True):
        if field not in ("files", "forms"):
            raise InvalidInput("未知的上传字段", details={field: ["只能是 files（流程图）或 forms（表单）"]})
        name = (storage.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        raw = storage.stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            abort(413, description=TOO_LARGE.format(name=name))
        try:
            files[("forms/" if field == "forms" else "") + name] = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidInput("文件必须是 UTF-8 编码", details={"files": [name]}) from err
    payload: dict = {"files": files}
    for key in ("comment", "base"):
        if key in request.form:
            payload[key] = request.form[key]
    if "remove" in request.form:
        payload["remove"] = request.form.getlist("remove")
    return payload


def _files(region: Region, data: dict) -> dict[str, str]:
    return versions.compose_files(region, data["files"], data["remove"], data["base"])


# --- versions -----------------------------------------------------------------------------


def version_json(definition: ProcessDefinition, *, files: bool = False) -> dict:
    body = {
        "version": definition.version,
        "sha256": definition.sha256,
        "is_active": definition.is_active,
        "deployed_at": iso(definition.deployed_at),
        "deployed_by": definition.deployed_by,
        "comment": definition.comment,
        "file_names": sorted(definition.files),
    }
    if files:
        body["files"] = definition.files
    return body


@bp.get(f"{ADMIN}/versions")
@token_required
def list_versions(region: str):
    found = versions.list_versions(_region(region, Action.RULES_READ))
    return jsonify({"versions": [version_json(d) for d in found]})


@bp.get(f"{ADMIN}/versions/<int:number>")
@token_required
def get_version(region: str, number: int):
    return jsonify(version_json(versions.get_version(_region(region, Action.RULES_READ), number), files=True))


@bp.get(f"{ADMIN}/versions/<int:old>/diff/<int:new>")
@token_required
def diff_versions(region: str, old: int, new: int):
    place = _region(region, Action.RULES_READ)
    before, after = versions.get_version(place, old), versions.get_version(place, new)
    return jsonify({"from": old, "to": new, **diff_files(before.files, after.files)})


@bp.post(f"{ADMIN}/validate")
@token_required
def validate(region: str):
    files = _files(_region(region, Action.RULES_DEPLOY), _upload(UploadSchema()))
    problems = versions.check_files(files)
    return jsonify(
        {"valid": not problems, "problems": problems, "sha256": bundle_sha256(files), "file_names": sorted(files)}
    )


@bp.post(f"{ADMIN}/dry-run")
@token_required
def post_dry_run(region: str):
    place = _region(region, Action.RULES_DEPLOY)
    data = _upload(UploadSchema())
    return jsonify(dry_run.dry_run(place, _files(place, data), g.user, now(), data["sample"]))


@bp.post(f"{ADMIN}/deploy")
@token_required
def deploy(region: str):
    place = _region(region, Action.RULES_DEPLOY)
    data = _upload(DeploySchema())
    definition, created = versions.deploy_version(place, _files(place, data), _actor(), now(), data["comment"])
    db.session.commit()
    return jsonify({**version_json(definition), "created": created}), 201 if created else 200


@bp.post(f"{ADMIN}/versions/<int:number>/rollback")
@token_required
def rollback(region: str, number: int):
    place = _region(region, Action.RULES_DEPLOY)
    data = load_json(RollbackSchema())
    definition = versions.rollback_version(place, number, _actor(), now(), data["comment"])
    db.session.commit()
    return jsonify(version_json(definition)), 201


# --- national updates as proposals ----------------------------------------------------------


def _roots() -> tuple:
    return current_app.config["BPMN_ROOT"], current_app.config["FORMS_ROOT"]


@bp.get(f"{ADMIN}/national-proposal")
@token_required
def national_proposal(region: str):
    """The changed national files this region inherits: diff and dry run (nothing is deployed)."""
    place = _region(region, Action.RULES_READ)
    return jsonify(proposals.proposal(place, *_roots(), g.user, now()))


@bp.post(f"{ADMIN}/national-proposal")
@token_required
def accept_national_proposal(region: str):
    """Deploy the national proposal as a new version, with a reason."""
    place = _region(region, Action.RULES_DEPLOY)
    data = load_json(RollbackSchema())
    definition = proposals.accept(place, *_roots(), _actor(), now(), data["comment"])
    db.session.commit()
    return jsonify(version_json(definition)), 201


# --- migration of running cases -----------------------------------------------------------


def _target(place: Region, raw) -> ProcessDefinition:
    if raw is None:
        return get_active(place.id)
    number = raw if isinstance(raw, int) and not isinstance(raw, bool) else strict_int(str(raw))
    if number is None or not 0 <= number <= MAX_ID:
        raise InvalidInput("参数有误", details={"to": ["必须是版本号"]})
    return versions.get_version(place, number)


@bp.get(f"{ADMIN}/migration/preview")
@token_required
def migration_preview(region: str):
    place = _region(region, Action.RULES_MIGRATE)
    target = _target(place, request.args.get("to"))
    moves = case_migration.preview_migration(place, target, _actor(), now())
    return jsonify(
        {
            "to": target.version,
            "movable": sum(m.movable for m in moves),
            "blocked": sum(not m.movable for m in moves),
            "cases": [m.as_dict() for m in moves],
        }
    )


@bp.post(f"{ADMIN}/migration")
@token_required
def migrate(region: str):
    place = _region(region, Action.RULES_MIGRATE)
    data = load_json(MigrationSchema())
    target = _target(place, data["to"])
    moves = case_migration.migrate_cases(place, target, data["cases"], _actor(), now())
    db.session.commit()
    return jsonify(
        {
            "to": target.version,
            "moved": sum(m.moved for m in moves),
            "refused": sum(not m.moved for m in moves),
            "cases": [m.as_dict() for m in moves],
        }
    )


# --- calendar -----------------------------------------------------------------------------


@bp.get(f"{ADMIN}/calendar")
@token_required
def calendar(region: str):
    place = _region(region, Action.CALENDAR_EDIT)
    raw = request.args.get("year")
    if raw is not None and (not is_digits(raw) or len(raw) != 4):
        raise InvalidInput("参数有误", details={"year": ["必须是年份"]})
    return jsonify(calendar_changes.calendar_overview(place, int(raw) if raw else None, _national_regions()))


def _calendar_input(region: str) -> tuple[Region, dict, list[dict]]:
    place = _region(region, Action.CALENDAR_EDIT)
    data = load_json(CalendarChangeSchema())
    calendar_changes.check_scope(place, data["scope"], _national_regions())
    days = calendar_changes.days_of(data["scope"], data["year"], data["days"], data["notice"])
    return place, data, days


@bp.post(f"{ADMIN}/calendar/preview")
@token_required
def calendar_preview(region: str):
    place, data, days = _calendar_input(region)
    return jsonify(
        calendar_changes.preview_calendar_change(
            place, data["scope"], data["year"], days, _actor(), now(), _national_regions()
        )
    )


@bp.post(f"{ADMIN}/calendar")
@token_required
def calendar_apply(region: str):
    place, data, days = _calendar_input(region)
    result = calendar_changes.apply_calendar_change(
        place, data["scope"], data["year"], days, _actor(), now(), _national_regions(), data["note"]
    )
    db.session.commit()
    return jsonify(result), 201
