"""Region settings (bpmn/<region>/region.json): rating labels and scores, named organizations, windows.

Deadlines of case handling live in the diagrams; these settings hold what is not a step of a case:
how ratings are shown and scored, what happens to an unrated service, how late an on-site rating may come.
"""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import LEVELS, Region
from casemgmt.topics import TopicContext, topic

DEFAULT_LABELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def settings_of(region: Region) -> dict:
    """Return the region's settings as loaded from its region.json."""
    return dict(region.settings or {})


def rating_labels(region: Region) -> dict[str, str]:
    """Map each internal level (very_satisfied ... very_dissatisfied) to the region's label."""
    labels = settings_of(region).get("rating_labels") or DEFAULT_LABELS
    return dict(zip(LEVELS, labels, strict=True))


def score_of(region: Region, level: str) -> int | None:
    """Return the region's score for a level (Liaoning 10/8/6/3/0), or None when it does not score."""
    scores = settings_of(region).get("scores")
    return dict(zip(LEVELS, scores, strict=True)).get(level) if scores else None


def named_orgs(region: Region) -> dict[str, str]:
    """Return the organizations the region's settings name (e.g. {"hotline": "xa-12345"})."""
    return {str(k): str(v) for k, v in (settings_of(region).get("orgs") or {}).items()}


def named_org_code(region: Region, name: str) -> str | None:
    """Return the org code the settings give a name, if any."""
    return named_orgs(region).get(name)


def unrated_rule(region: Region) -> dict | None:
    """Return the rule for services left unrated (remind, then default or record as 未评), if the region has one."""
    return settings_of(region).get("unrated")


def late_rating_rule(region: Region) -> dict | None:
    """Return the window for a rating given after an on-site service (NEA: 7 calendar days), if any."""
    return settings_of(region).get("late_rating")


def get_region(code: str) -> Region:
    """Return a region by code or raise NotFound."""
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有地区 {code}")
    return region


def describe(region: Region) -> dict:
    """Return the region's settings as shown to clients: labels and scores per level, windows, bad levels."""
    labels = rating_labels(region)
    levels = [
        {"level": level, "label": labels[level], "score": score_of(region, level), "is_bad": level in LEVELS[-2:]}
        for level in LEVELS
    ]
    settings = settings_of(region)
    return {
        "code": region.code,
        "name": region.name,
        "levels": levels,
        "bad_review_requires_reason": bool(settings.get("bad_review_requires_reason")),
        "unrated": unrated_rule(region),
        "late_rating": late_rating_rule(region),
        "appeal_window_text": settings.get("appeal_window_text"),
        "follow_up": settings.get("follow_up"),
        "group_rating": settings.get("group_rating") or {},
        "overdue_rating": settings.get("overdue_rating"),
    }


@topic("load_region_orgs", "读取地区设置中的机构（如 12345 热线），作为流程变量 <名称>_org")
def load_region_orgs_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    return {f"{name}_org": code for name, code in named_orgs(ctx.case.region).items()}
