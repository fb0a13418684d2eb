"""Who handles a bad review: the unit that served (谁办理、谁负责), its supervisor, the region's coordinator."""

from __future__ import annotations

from dataclasses import dataclass

from casemgmt import refcache
from casemgmt.models import Evaluation, Organization

SUPERVISING_KINDS = ("province", "city", "county", "ministry", "office")


@dataclass(frozen=True)
class Route:
    handling: Organization
    supervisor: Organization
    coordinator: Organization


def route(evaluation: Evaluation) -> Route:
    """Route a bad review to the handling unit (the item's lead department when it has one)."""
    handling = _lead_org(evaluation) or refcache.org(evaluation.org_id) or evaluation.org
    return Route(handling=handling, supervisor=_supervisor(handling), coordinator=_root(handling))


def _lead_org(evaluation: Evaluation) -> Organization | None:
    item = refcache.item(evaluation.region_id, evaluation.item_code)
    return refcache.org(item.lead_org_id) if item and item.lead_org_id else None


def _supervisor(org: Organization) -> Organization:
    node = org.parent
    while node is not None and node.kind not in SUPERVISING_KINDS:
        node = node.parent
    return node or org


def _root(org: Organization) -> Organization:
    while org.parent is not None:
        org = org.parent
    return org
