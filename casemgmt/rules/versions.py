"""Use cases of a region's rule versions: who may administer them, compose an upload, validate, deploy, roll back."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.engine.facade import MAIN_PROCESS
from casemgmt.engine.validate import MAX_FILE_BYTES
from casemgmt.errors import DiagramInvalid, InvalidInput, NotFound
from casemgmt.models import ProcessDefinition, Region, User
from casemgmt.rules import bundles

MAX_FILES = 100
#: a diagram file name, or a form as forms/<key>.json
_FILE_NAME = re.compile(
    r"(?:[A-Za-z0-9_.-]{1,100}\.(?:bpmn|dmn)|forms/[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.json|settings\.json)"
)


def admin_region(user: User, code: str, action: Action) -> Region:
    """Return the region `code` if the user may do the action there: another region is NotFound, else forbidden."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound("没有找到该地区")
    authorize(user, action, region_id=region.id)
    return region


def list_versions(region: Region) -> list[ProcessDefinition]:
    """Return the region's deployed versions, newest first."""
    stmt = select(ProcessDefinition).where(
        ProcessDefinition.region_id == region.id, ProcessDefinition.process_id == MAIN_PROCESS
    )
    return list(db.session.scalars(stmt.order_by(ProcessDefinition.version.desc())))


def get_version(region: Region, number: int) -> ProcessDefinition:
    """Return version `number` of the region's rules, or raise NotFound."""
    definition = db.session.scalar(
        select(ProcessDefinition).where(
            ProcessDefinition.region_id == region.id,
            ProcessDefinition.process_id == MAIN_PROCESS,
            ProcessDefinition.version == number,
        )
    )
    if definition is None:
        raise NotFound(f"没有第 {number} 版规则")
    return definition


def compose_files(region: Region, uploads: dict[str, str], remove: list[str], base: int | None) -> dict[str, str]:
    """Lay uploaded files over a version's files (the active one by default), dropping `remove`."""
    problems = {
        name: ["文件名只能是 名称.bpmn、名称.dmn、forms/表单键.json 或 settings.json"]
        for name in uploads
        if not _FILE_NAME.fullmatch(name)
    }
    problems |= {name: ["文件超过 2 MiB"] for name, text in uploads.items() if _size(text) > MAX_FILE_BYTES}
    if problems:
        raise InvalidInput("上传的文件有误", details={"files": problems})
    start = get_version(region, base) if base is not None else bundles.get_active(region.id, required=False)
    files = dict(start.files) if start is not None else {}
    missing = [name for name in remove if name not in files]
    if missing:
        raise InvalidInput("要删除的文件不在该版本中", details={"remove": missing})
    for name in remove:
        del files[name]
    files.update(uploads)
    if len(files) > MAX_FILES:
        raise InvalidInput(f"规则包最多 {MAX_FILES} 个文件", details={"files": [f"共 {len(files)} 个"]})
    return files


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def check_files(files: dict[str, str]) -> list[dict]:
    """Return every problem of a bundle (empty when it may be deployed), each naming file and element."""
    try:
        bundles.validate_files(files)
    except DiagramInvalid as err:
        return list(err.details or [{"file": None, "element": None, "message": err.message}])
    return []


def deploy_version(
    region: Region, files: dict[str, str], actor: Actor, now: datetime, comment: str
) -> tuple[ProcessDefinition, bool]:
    """Deploy files as the region's new active version; return it and whether it is new."""
    before = bundles.get_active(region.id, required=False)
    definition = bundles.deploy(region, files, actor, now, comment=comment)
    return definition, before is None or definition.id != before.id


def rollback_version(region: Region, number: int, actor: Actor, now: datetime, comment: str) -> ProcessDefinition:
    """Deploy an old version's files again as a new version (same sha256) and audit the rollback."""
    old = get_version(region, number)
    active = bundles.get_active(region.id, required=False)
    if active is not None and active.sha256 == old.sha256:
        raise InvalidInput(f"第 {number} 版与当前版本相同，无需回滚", details={"version": [str(number)]})
    definition = bundles.deploy(region, dict(old.files), actor, now, comment=f"回滚到第 {number} 版：{comment}")
    audit.record(
        "definition_rolled_back",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=definition.id,
        payload={
            "from_version": active.version if active else None,
            "to_version": number,
            "new_version": definition.version,
            "sha256": definition.sha256,
            "comment": comment,
        },
    )
    return definition
