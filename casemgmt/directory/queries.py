"""Read the directory: units, items and users of a region, for the admin pages and the API."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import Organization, Region, ServiceItem


def get_region(code: str) -> Region:
    """Return the region with the code, or raise NotFound."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound("没有找到该地区")
    return region


def list_orgs(region: Region, limit: int = 500) -> list[Organization]:
    """List the region's units in tree order (by materialized path)."""
    stmt = select(Organization).where(Organization.region_id == region.id).order_by(Organization.path).limit(limit)
    return list(db.session.scalars(stmt))


def list_items(region: Region, limit: int = 500) -> list[ServiceItem]:
    """List the region's service items by code."""
    stmt = select(ServiceItem).where(ServiceItem.region_id == region.id).order_by(ServiceItem.code).limit(limit)
    return list(db.session.scalars(stmt))


def get_org(region: Region, code: str) -> Organization:
    """Return one unit of the region, or raise NotFound."""
    stmt = select(Organization).where(Organization.region_id == region.id, Organization.code == code)
    org = db.session.scalar(stmt)
    if org is None:
        raise NotFound("没有找到该机构")
    return org
