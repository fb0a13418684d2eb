"""National changes reach regions as a proposal, never as a silent change.

A region's bundle inherits every national file its pack does not override. When the national library on disk
(a product upgrade) differs from what the region's active version holds in such an inherited file, the region's
administrator sees a proposal: the files concerned, the element diff and a dry run of the proposed bundle. They
deploy it with a reason (a new audited version; running cases stay on their pinned version) or keep the current
version, which stays active. Files the region overrides, and settings the region sets, are never proposed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import AuditEvent, ProcessDefinition, Region, User
from casemgmt.rules import bundles, dry_run
from casemgmt.rules.diff import diff_files


def _active(region: Region) -> ProcessDefinition:
    definition = bundles.get_active(region.id)  # required: NotFound when the region has no version
    assert definition is not None
    return definition


def _own_files(bpmn_root: Path, forms_root: Path, code: str) -> set[str]:
    """Return the bundle names the region's pack overrides."""
    own = {p.name for p in (bpmn_root / code).glob("*") if p.suffix in (".bpmn", ".dmn")}
    own |= {bundles.FORM_PREFIX + p.name for p in (forms_root / code).glob("*.json")}
    return own


def proposed_files(region: Region, bpmn_root: Path, forms_root: Path) -> tuple[dict[str, str], list[str]]:
    """Return the active files with every changed inherited national file (and new setting) laid over them,
    and the names of the files that change."""
    active = _active(region)
    files = dict(active.files)
    bundled = bundles.collect_files(bpmn_root, forms_root, region.code)
    own = _own_files(bpmn_root, forms_root, region.code)
    changed = []
    for name, text in sorted(bundled.items()):
        if name in own or name == bundles.SETTINGS_FILE or files.get(name) == text:
            continue
        files[name] = text
        changed.append(name)
    settings = bundles.settings_of(files)
    new_keys = {k: v for k, v in bundles.settings_of(bundled).items() if k not in settings}
    if new_keys:  # a setting the national library added: its default, until the region sets it
        files[bundles.SETTINGS_FILE] = bundles.dump_settings({**settings, **new_keys})
        changed.append(bundles.SETTINGS_FILE)
    return files, changed


def proposal(region: Region, bpmn_root: Path, forms_root: Path, user: User, now: datetime) -> dict:
    """Describe the national proposal for a region: changed files, element diff and dry run (empty if none)."""
    active = _active(region)
    files, changed = proposed_files(region, bpmn_root, forms_root)
    result = {"active_version": active.version, "files": changed, "diff": None, "dry_run": None, "problems": []}
    if not changed:
        return result
    result["diff"] = diff_files(active.files, files)
    try:
        bundles.validate_files(files)
    except Exception as err:  # noqa: BLE001 - a DiagramInvalid names the problems; shown, never deployed
        result["problems"] = list(getattr(err, "details", None) or [{"message": str(err)}])
        return result
    result["dry_run"] = dry_run.dry_run(region, files, user, now)
    result["sha256"] = bundles.bundle_sha256(files)
    return result


def accept(
    region: Region, bpmn_root: Path, forms_root: Path, actor: Actor, now: datetime, comment: str
) -> ProcessDefinition:
    """Deploy the proposal as the region's new version, with the administrator's reason (audited)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("采纳国家规则更新需要说明原因", details={"comment": ["必填"]})
    active = _active(region)
    files, changed = proposed_files(region, bpmn_root, forms_root)
    if not changed:
        raise InvalidInput("没有待采纳的国家规则更新", details={"files": []})
    definition = bundles.deploy(region, files, actor, now, comment=f"采纳国家规则更新：{comment}")
    audit.record(
        "national_update_accepted",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=definition.id,
        payload={"from_version": active.version, "to_version": definition.version, "files": changed},
    )
    return definition


def keep(region: Region, bpmn_root: Path, forms_root: Path, actor: Actor, now: datetime, comment: str) -> str:
    """Keep the current version instead of the proposal (audited, with the proposal's sha256); nothing deploys.

    The same proposal is then shown as kept; a later national change (another sha256) is offered again.
    """
    active = _active(region)
    files, changed = proposed_files(region, bpmn_root, forms_root)
    if not changed:
        raise InvalidInput("没有待采纳的国家规则更新", details={"files": []})
    sha = bundles.bundle_sha256(files)
    audit.record(
        "national_update_kept",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=active.id,
        payload={"version": active.version, "files": changed, "sha256": sha, "comment": comment.strip()},
    )
    return sha


def kept(region: Region, sha256: str) -> AuditEvent | None:
    """Return the audit row of the last time the region kept its version instead of this very proposal."""
    events = (
        db.session.query(AuditEvent)
        .filter(AuditEvent.region_id == region.id, AuditEvent.kind == "national_update_kept")
        .order_by(AuditEvent.id.desc())
    )
    return next((e for e in events if e.payload.get("sha256") == sha256), None)
