"""Names for the codes a case's history carries: units, service items, rating levels, roles, steps, topics, users."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Case, HumanTask, Organization, ServiceItem, User
from web.ui import level_label
from web.ui.labels import ROLE_LABELS, TOPIC_LABELS, label


@dataclass
class Names:
    """Look-ups from code to name for one case; an unknown code is answered as it is."""

    case: Case
    orgs: dict[str, str]
    items: dict[str, str]
    elements: dict[str, str]
    users: dict[str, str]

    def org(self, code: object) -> str:
        """Return a unit's name."""
        return self.orgs.get(str(code), str(code or ""))

    def item(self, code: object) -> str:
        """Return a service item's name."""
        return self.items.get(str(code), str(code or ""))

    def level(self, code: object) -> str:
        """Return the region's own label of a rating level."""
        return level_label(self.case.region, str(code or ""))

    def role(self, code: object) -> str:
        """Return a role's name."""
        return label(ROLE_LABELS, str(code or ""))

    def element(self, element_id: object, fallback: str = "") -> str:
        """Return a diagram element's name (a task's title)."""
        return self.elements.get(str(element_id), fallback or str(element_id or ""))

    def topic(self, name: object) -> str:
        """Return what an automatic step does, in a few words."""
        return label(TOPIC_LABELS, str(name or ""))

    def user(self, username: object) -> str:
        """Return a user's display name."""
        return self.users.get(str(username), str(username or ""))


def names_for(case: Case, tasks: list[HumanTask], usernames: set[str], org_codes: set[str]) -> Names:
    """Collect the names a case's history needs in a few queries."""
    region_id = case.region_id
    org_codes = org_codes | {case.handling_org.code} if case.handling_org else org_codes
    orgs = _pairs(Organization.code, Organization.name, Organization.region_id == region_id, org_codes)
    item_codes = {case.evaluation.item_code}
    items = _pairs(ServiceItem.code, ServiceItem.name, ServiceItem.region_id == region_id, item_codes)
    users = _pairs(User.username, User.display_name, None, usernames)
    elements = diagram_names(case.definition.files or {})
    elements.update({t.element_id: t.title for t in tasks if t.title})
    return Names(case, orgs, items, elements, users)


def org_names(region_id: int, codes: set[str]) -> dict[str, str]:
    """Return the names of a region's units by code."""
    return _pairs(Organization.code, Organization.name, Organization.region_id == region_id, codes)


def _pairs(key, value, where, codes: set[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    stmt = select(key, value).where(key.in_(codes))
    if where is not None:
        stmt = stmt.where(where)
    return {str(k): str(v) for k, v in db.session.execute(stmt).all() if v}


def diagram_names(files: dict[str, str]) -> dict[str, str]:
    """Return the name of every named element of a bundle's BPMN files, by id."""
    names: dict[str, str] = {}
    for filename, text in sorted(files.items()):
        if not filename.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            continue
        for node in root.iter():
            if node.get("id") and node.get("name"):
                names.setdefault(str(node.get("id")), " ".join(str(node.get("name")).split()))
    return names


def choice_labels(forms: dict[str, dict], fields: tuple[str, ...]) -> dict[str, str]:
    """Return the labels the forms give the choices of the named fields (ledger -> 建立台账限期整改)."""
    labels: dict[str, str] = {}
    for name in fields:  # the first field named wins, whatever order the forms were stored in
        for _key, form in sorted(forms.items()):
            for f in form.get("fields", []):
                if f.get("name") == name:
                    for option in f.get("choices", []):
                        labels.setdefault(str(option.get("value")), str(option.get("label")))
    return labels
