"""Load the bundled regions (settings and rules) and the demo organizations, items and users."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.operations import create_user
from casemgmt.actor import Actor
from casemgmt.calendar import seed_national
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import Organization, ProcessDefinition, Region, ServiceItem, User
from casemgmt.rules import bundles
from casemgmt.rules.diff import diff_files

DEMO_FILE = Path(__file__).with_name("demo") / "data.json"


def bundled_region_codes(bpmn_root: Path) -> list[str]:
    """Return the region folders that carry a region.json."""
    return sorted(p.parent.name for p in bpmn_root.glob("*/region.json"))


def load_region(code: str, bpmn_root: Path, forms_root: Path, actor: Actor, now: datetime) -> Region:
    """Create or update a region from its region.json; deploy its bundled rules only if it has no version yet.

    A version a person deployed is never superseded here (restarts, `flask seed`, upgrades): bundled rules
    that differ from the active version are imported only by `import_bundled` (`flask rules import`)."""
    spec = json.loads((bpmn_root / code / "region.json").read_text(encoding="utf-8"))
    region = db.session.scalar(select(Region).where(Region.code == code))
    settings = spec.get("settings", {})
    if region is None or (region.name, region.settings) != (spec["name"], settings):
        region = region or Region(code=code)
        region.name, region.settings = spec["name"], settings
        db.session.add(region)
        db.session.flush()
        audit.record(
            "region_saved",
            actor=actor,
            at=now,
            region_id=region.id,
            payload={"code": code, "name": spec["name"], "settings": settings},
        )
    if bundles.get_active(region.id, required=False) is None:
        bundles.deploy(
            region, bundles.collect_files(bpmn_root, forms_root, code), actor, now, comment="随版本发布的规则"
        )
    return region


def bundled_differs(code: str, bpmn_root: Path, forms_root: Path) -> bool:
    """Tell whether a region's bundled rules differ from its active version (a newer pack not imported)."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    active = bundles.get_active(region.id, required=False) if region is not None else None
    files = bundles.collect_files(bpmn_root, forms_root, code)
    return active is not None and active.sha256 != bundles.bundle_sha256(files)


def import_bundled(
    code: str, bpmn_root: Path, forms_root: Path, actor: Actor, now: datetime, reason: str
) -> tuple[ProcessDefinition | None, dict]:
    """Deploy a region's bundled rules as its new version, with a reason; return it (None if unchanged) and the
    diff against the version it supersedes. Audited as `bundled_rules_imported`."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("导入随版本发布的规则需要说明原因", details={"reason": ["必填"]})
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有地区 {code}")
    files = bundles.collect_files(bpmn_root, forms_root, code)
    active = bundles.get_active(region.id, required=False)
    changes = diff_files(active.files if active else {}, files)
    if active is not None and active.sha256 == bundles.bundle_sha256(files):
        return None, changes
    definition = bundles.deploy(region, files, actor, now, comment=f"导入随版本发布的规则：{reason}")
    audit.record(
        "bundled_rules_imported",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=definition.id,
        payload={
            "reason": reason,
            "from_version": active.version if active else None,
            "to_version": definition.version,
            "files": changes["files"],
        },
    )
    return definition, changes


def load_bundled(bpmn_root: Path, forms_root: Path, actor: Actor, now: datetime) -> list[str]:
    """Seed the national calendar and every bundled region; return the region codes."""
    seed_national(actor=actor.username, now=now)
    codes = bundled_region_codes(bpmn_root)
    for code in codes:
        load_region(code, bpmn_root, forms_root, actor, now)
    return codes


def upsert_org(
    region: Region, code: str, parent_code: str | None, kind: str, name: str, actor: Actor, now: datetime
) -> Organization:
    """Create or update one organization of the tree, keeping its materialized path."""
    parent = _org(region, parent_code) if parent_code else None
    org = _org(region, code)
    if org is None:
        org = Organization(region_id=region.id, code=code, kind=kind, name=name, path="")
        db.session.add(org)
    path = (parent.path if parent else "/") + code + "/"
    if (org.parent_id, org.kind, org.name, org.path) == (parent.id if parent else None, kind, name, path):
        return org
    org.parent, org.kind, org.name, org.path = parent, kind, name, path
    db.session.flush()
    audit.record(
        "org_saved",
        actor=actor,
        at=now,
        region_id=region.id,
        payload={"code": code, "parent": parent_code, "kind": kind, "name": name},
    )
    return org


def _org(region: Region, code: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.region_id == region.id, Organization.code == code))


def load_demo(actor: Actor, now: datetime) -> int:
    """Load demo organizations, service items and users (password in demo/data.json); return users made."""
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    made = 0
    for code, data in demo["regions"].items():
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None:
            continue
        for org_code, parent, kind, name in data["orgs"]:
            upsert_org(region, org_code, parent, kind, name, actor, now)
        for item_code, name, lead in data["items"]:
            _upsert_item(region, item_code, name, lead, actor, now)
        for username, display, org_code, roles, pii in data["users"]:
            if db.session.scalar(select(User.id).where(User.username == username)) is None:
                create_user(
                    username, display, code, org_code, roles, actor, now, password=demo["password"], can_view_pii=pii
                )
                made += 1
    return made


def _upsert_item(region: Region, code: str, name: str, lead: str | None, actor: Actor, now: datetime) -> None:
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.region_id == region.id, ServiceItem.code == code))
    lead_id = _org(region, lead).id if lead else None
    if item is not None and (item.name, item.lead_org_id) == (name, lead_id):
        return
    if item is None:
        item = ServiceItem(region_id=region.id, code=code, name=name)
        db.session.add(item)
    item.name, item.lead_org_id = name, lead_id
    db.session.flush()
    audit.record(
        "service_item_saved",
        actor=actor,
        at=now,
        region_id=region.id,
        payload={"code": code, "name": name, "lead_org": lead},
    )
